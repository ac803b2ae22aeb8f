package demo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteRanges writes the cloud-provider range files the demo's peers come
// from, in each provider's own published format: an AWS ip-ranges.json, a
// Google cloud.json and a Cloudflare list. They are small excerpts of the real
// files (the prefixes the demo uses), so a demo case can name the providers
// of its peers offline. It returns the paths written.
func WriteRanges(dir string, opts Options) ([]string, error) {
	o := opts.withDefaults()
	env := newEnvironment()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: ranges: %w", err)
	}
	created := o.Start.AddDate(0, 0, -1).UTC()

	type awsPrefix struct {
		Prefix  string `json:"ip_prefix"`
		Region  string `json:"region"`
		Service string `json:"service"`
		Border  string `json:"network_border_group"`
	}
	var aws []awsPrefix
	for _, s := range env.services {
		region := "us-east-1"
		if s.region != "" {
			region = s.region
		}
		aws = append(aws, awsPrefix{s.prefix.String(), region, s.service, region})
		if s.service != "AMAZON" { // AWS lists every prefix under AMAZON too
			aws = append(aws, awsPrefix{s.prefix.String(), region, "AMAZON", region})
		}
	}
	awsDoc, _ := json.MarshalIndent(map[string]any{
		"syncToken": fmt.Sprint(created.Unix()), "createDate": created.Format("2006-01-02-15-04-05"),
		"prefixes": aws, "ipv6_prefixes": []any{},
	}, "", "  ")

	type gcpPrefix struct {
		Prefix  string `json:"ipv4Prefix"`
		Service string `json:"service"`
		Scope   string `json:"scope"`
	}
	var gcp []gcpPrefix
	for _, p := range []struct{ prefix, scope string }{
		{"34.148.0.0/16", "us-east1"}, {"34.73.0.0/16", "us-east1"}, {"34.23.0.0/16", "us-east1"},
		{"34.86.0.0/16", "us-east4"}, {"34.48.0.0/16", "us-east4"},
	} {
		gcp = append(gcp, gcpPrefix{p.prefix, "Google Cloud", p.scope})
	}
	gcpDoc, _ := json.MarshalIndent(map[string]any{
		"syncToken": fmt.Sprint(created.UnixMilli()), "creationTime": created.Format("2006-01-02T15:04:05.000000"),
		"prefixes": gcp,
	}, "", "  ")

	files := map[string][]byte{
		"ip-ranges.json":        awsDoc,
		"cloud.json":            gcpDoc,
		"cloudflare-ips-v4.txt": []byte(strings.Join([]string{"104.16.0.0/13", "104.24.0.0/14", "172.64.0.0/13"}, "\n") + "\n"),
	}
	var paths []string
	for _, name := range []string{"ip-ranges.json", "cloud.json", "cloudflare-ips-v4.txt"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return nil, fmt.Errorf("demo: ranges: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}
