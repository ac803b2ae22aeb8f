package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/investigator/investigator/cidrs/asn"
	"github.com/investigator/investigator/internal/format"
)

func (a *app) asnCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "asn",
		Short: "Offline ASN data: every address's AS number and name without a query",
		Long: `Import an ASN database into the home folder; analyses then give every address its AS
number and name (the asn and org columns, where WHOIS has no answer), offline.

Formats: the iptoasn.com TSV (ip2asn-combined.tsv, plain or gzip) and MaxMind
GeoLite2-ASN / DB-IP ASN .mmdb files (plain, gzip, or MaxMind's .tar.gz).`,
		Example: `  investigator asn import ip2asn-combined.tsv.gz
  investigator asn import GeoLite2-ASN.mmdb
  investigator asn show`,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "import FILE",
		Short: "Make FILE the home folder's ASN data",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := a.asnHome()
			if err != nil {
				return err
			}
			r, err := h.Import(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%-10s %s: %s\n", r.Status, args[0], describeASN(r.Info))
			for _, n := range r.Notes {
				fmt.Fprintf(a.stdout, "           %s\n", n)
			}
			return nil
		},
	}, &cobra.Command{
		Use:   "show",
		Short: "Describe the home folder's ASN data",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := a.asnHome()
			if err != nil {
				return err
			}
			in, err := h.CurrentInfo()
			if err != nil {
				return err
			}
			if in == nil {
				fmt.Fprintln(a.stdout, "No ASN data yet: investigator asn import FILE (an iptoasn TSV or a GeoLite2-ASN .mmdb)")
				return nil
			}
			fmt.Fprintf(a.stdout, "%s: %s\n", in.Source, describeASN(*in))
			return nil
		},
	})
	return cmd
}

func (a *app) asnHome() (asn.Home, error) {
	h, err := a.home()
	if err != nil {
		return asn.Home{}, err
	}
	return asn.Home{Dir: h.Dir}, nil
}

func describeASN(in asn.Info) string {
	s := fmt.Sprintf("%s ranges (%s IPv4, %s IPv6) of %s ASNs, %s", format.Count(int64(in.Ranges)), format.Count(int64(in.IPv4)), format.Count(int64(in.IPv6)), format.Count(int64(in.ASNs)), in.Format)
	if !in.Date.IsZero() {
		s += ", built " + in.Date.UTC().Format(time.DateOnly)
	}
	return s
}
