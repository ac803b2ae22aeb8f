package views

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/ingest/ec2"
	"github.com/investigator/investigator/store"
)

// createSource is recorded with the focus addresses and CIDRs a case made
// on the workbench starts with.
const createSource = "web"

// createCase makes a new case from the cases page's form: a valid name not
// yet taken, and optional instance addresses, VPC CIDRs and instance ids
// (discovered in EC2: their addresses, VPC blocks and flow logs), all checked
// before anything is written. It redirects to the new case's overview.
func (s *server) createCase(c echo.Context) error {
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Bad form: "+err.Error())
	}
	name := strings.TrimSpace(form.Get("name"))
	if name == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "A case needs a name.")
	}
	if store.ValidName(name) != nil || strings.HasSuffix(name, store.Ext) {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("%q is not a valid case name: use letters, digits, '.', '_' and '-', starting with a letter or digit, without %s.", name, store.Ext))
	}
	var focus []store.FocusIP
	for _, f := range splitList(form.Get("addrs")) {
		a, err := netip.ParseAddr(f)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("Not an IP address: %q.", f))
		}
		focus = append(focus, store.FocusIP{Addr: a.Unmap(), Source: createSource})
	}
	var cidrs []store.VPCCIDR
	for _, f := range splitList(form.Get("cidrs")) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("Not a CIDR block: %q.", f))
		}
		cidrs = append(cidrs, store.VPCCIDR{Prefix: p.Masked(), Source: createSource})
	}
	instances := splitList(form.Get("instances"))
	for _, id := range instances {
		if !instanceID.MatchString(id) {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("Not an EC2 instance id: %q (i- and 8 or 17 hexadecimal digits).", id))
		}
	}
	path := filepath.Join(s.o.CasesDir, name+store.Ext)
	exists := func() error {
		return echo.NewHTTPError(http.StatusConflict, fmt.Sprintf("A case named %q already exists.", name))
	}
	if _, err := os.Lstat(path); err == nil {
		return exists()
	}
	// Discovery runs before the case is made: a failure writes nothing.
	var found *ec2.Result
	if len(instances) > 0 {
		cfg, err := s.awsConfig(ctx)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "Cannot look the instances up: "+err.Error())
		}
		res, err := ec2.DiscoverWith(ctx, awsec2.NewFromConfig(cfg), instances, ec2.Options{Region: cfg.Region})
		var none *ec2.NoFlowLogsError
		if err != nil && !errors.As(err, &none) {
			return echo.NewHTTPError(http.StatusBadGateway, "Discovery failed: "+err.Error())
		}
		found = &res
	}
	cs, err := store.Create(ctx, path, name, s.o.Program, store.Options{})
	if errors.Is(err, store.ErrExists) {
		return exists()
	}
	if err != nil {
		return err
	}
	if _, err = cs.AddFocus(ctx, focus); err == nil {
		_, err = cs.AddVPCCIDRs(ctx, cidrs)
	}
	if err == nil && found != nil {
		err = ec2.Record(ctx, cs, *found)
	}
	if cerr := cs.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Leave no half-made case behind.
		os.Remove(path)
		os.Remove(path + ".wal")
		return err
	}
	s.log.Info("case created", "name", name, "focus", len(focus), "cidrs", len(cidrs), "instances", len(instances))
	return c.Redirect(http.StatusSeeOther, caseHref(name))
}

// instanceID is an EC2 instance id, old (8 digits) or new (17).
var instanceID = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)

// splitList splits a form field of one value per line or comma-separated
// values (spaces around them allowed) into its values.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '\n' || r == '\r' || r == ' ' || r == '\t' || r == ';'
	})
}
