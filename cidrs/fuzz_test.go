package cidrs

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{awsJSON, googleCloudJSON, googJSON, azureJSON, oracleJSON, githubJSON, constantJSON, cloudflareV4, cloudflareV6, geofeedCSV} {
		f.Add(s, "")
		f.Add(s, "custom")
	}
	for _, s := range []string{
		"", "{}", "[]", "[1]", `["10.0.0.0/8"]`, "#\n", "10.0.0.0/8", "10.0.0.0/8,US", ",,,,",
		`{"prefixes":[{}]}`, `{"prefixes":[{"ip_prefix":null}]}`, `{"values":[{"properties":{"addressPrefixes":["::/0"]}}]}`,
		`{"regions":[{"cidrs":[{"cidr":"1.2.3.4/32","tags":null}]}]}`, `{"subnets":[{"ip_prefix":"::ffff:1.2.3.4/128"}]}`,
		`{"hooks":["1.2.3.4", 5]}`, `{"web":["x","1.2.3.4/32"]}`, "\"1.2.3.0/24\",\"US\"\n", "# Last modified: 2025-01-01\n1.0.0.0/8\n",
	} {
		f.Add(s, "custom")
	}
	f.Fuzz(func(t *testing.T, data, provider string) {
		s, err := Parse("fuzz", []byte(data), provider)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "cidrs: ") {
				t.Fatalf("error without package prefix: %v", err)
			}
			return
		}
		if provider != "" && s.Provider != provider {
			t.Fatalf("provider %q given, snapshot says %q", provider, s.Provider)
		}
		if s.Entries < len(s.Ranges) {
			t.Fatalf("%d entries but %d ranges", s.Entries, len(s.Ranges))
		}
		checkInvariants(t, s)
	})
}
