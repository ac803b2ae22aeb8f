package views

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/labstack/echo/v4"

	"github.com/investigator/investigator/ingest/pipeline"
	"github.com/investigator/investigator/internal/usererr"
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
	instances := splitList(form.Get("instances"))
	focus, err := store.ParseFocus(instances, splitList(form.Get("addrs")), splitList(form.Get("cidrs")), createSource)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, usererr.Message(err))
	}
	path := filepath.Join(s.o.CasesDir, name+store.Ext)
	exists := func() error {
		return echo.NewHTTPError(http.StatusConflict, fmt.Sprintf("A case named %q already exists.", name))
	}
	if _, err := os.Lstat(path); err == nil {
		return exists()
	}
	// Discovery runs before the case is made: a failure writes nothing.
	n := pipeline.NewCase{Path: path, Name: name, Program: s.o.Program, Focus: focus, Discover: instances}
	if len(instances) > 0 {
		cfg, err := s.awsConfig(ctx)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "Cannot look the instances up: "+usererr.Message(err))
		}
		n.AWS = func(context.Context) (aws.Config, error) { return cfg, nil }
	}
	cs, _, err := pipeline.Create(ctx, n)
	var failed *pipeline.DiscoveryError
	switch {
	case errors.Is(err, store.ErrExists):
		return exists()
	case errors.As(err, &failed):
		return echo.NewHTTPError(http.StatusBadGateway, "Discovery failed: "+usererr.Message(err))
	case err != nil:
		return err
	}
	if err := cs.Close(); err != nil {
		return err
	}
	s.log.Info("case created", "name", name, "focus", len(focus.Addrs), "cidrs", len(focus.CIDRs), "instances", len(instances))
	return c.Redirect(http.StatusSeeOther, caseHref(name))
}

// splitList splits a form field of one value per line or comma-separated
// values (spaces around them allowed) into its values.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '\n' || r == '\r' || r == ' ' || r == '\t' || r == ';'
	})
}
