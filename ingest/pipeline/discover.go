package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/investigator/investigator/ingest/ec2"
	"github.com/investigator/investigator/internal/format"
	"github.com/investigator/investigator/store"
)

// Discovery is what EC2 said about a case's instances. Warning, when set,
// says that some of them have no flow log to pull from: their addresses and
// VPC blocks are worth recording all the same.
type Discovery struct {
	IDs     []string
	Result  ec2.Result
	Warning *ec2.NoFlowLogsError
}

// Discover asks EC2 about the instances; nothing is written.
func Discover(ctx context.Context, cfg aws.Config, ids []string, profile string) (Discovery, error) {
	res, err := ec2.DiscoverWith(ctx, awsec2.NewFromConfig(cfg), ids, ec2.Options{Profile: profile, Region: cfg.Region})
	d := Discovery{IDs: ids, Result: res}
	if err != nil && !errors.As(err, &d.Warning) {
		return d, err // ec2 explains AWS errors itself
	}
	return d, nil
}

// Lines say what discovery found, for people: the instances, then each
// flow log and where it delivers.
func (d Discovery) Lines() []string {
	r := d.Result
	lines := []string{fmt.Sprintf("Discovered %s in %s (%s): %s, %s, %s",
		strings.Join(d.IDs, ", "), r.Region, r.AccountID, format.Nouns(int64(len(r.Interfaces)), "interface"),
		format.Nouns(int64(len(r.Focus)), "address"), format.Nouns(int64(len(r.VPCCIDRs)), "VPC block"))}
	for _, fl := range r.FlowLogs {
		target := fl.Destination
		if fl.LogGroup != "" {
			target = fl.LogGroup
		}
		lines = append(lines, fmt.Sprintf("  flow log %s on %s -> %s %s", fl.ID, fl.ResourceID, fl.DestinationType, target))
	}
	return lines
}

// DiscoveryError is a discovery that failed when a case was made: nothing
// was written.
type DiscoveryError struct{ Err error }

func (e *DiscoveryError) Error() string { return e.Err.Error() }
func (e *DiscoveryError) Unwrap() error { return e.Err }

// NewCase is a case to make: its name and file, what it is about, and the
// instances to discover in EC2 first.
type NewCase struct {
	Path, Name, Program string
	Description         string
	Focus               store.Focus
	// Discover names instances to ask EC2 about before anything is written:
	// a failure leaves no case behind. AWS loads the configuration for it.
	Discover []string
	Profile  string
	AWS      func(context.Context) (aws.Config, error)
	Options  store.Options
}

// Create makes the case: discovery first (nothing is written when it
// fails), then the file with its description, focus and what discovery
// found. A case that cannot be completed is removed, never left half-made.
// The case comes back open for writing; the caller closes it.
func Create(ctx context.Context, n NewCase) (*store.Case, *Discovery, error) {
	var found *Discovery
	if len(n.Discover) > 0 {
		if n.AWS == nil {
			return nil, nil, errors.New("pipeline: no AWS configuration to discover instances with")
		}
		cfg, err := n.AWS(ctx)
		if err != nil {
			return nil, nil, err
		}
		d, err := Discover(ctx, cfg, n.Discover, n.Profile)
		if err != nil {
			return nil, nil, &DiscoveryError{Err: err}
		}
		found = &d
	}
	focus := n.Focus
	if found != nil {
		focus.Instances = nil // discovery records them, with what EC2 says of them
	}
	c, err := store.Create(ctx, n.Path, n.Name, n.Program, n.Options)
	if err != nil {
		return nil, nil, err
	}
	if n.Description != "" {
		err = c.SetDescription(ctx, n.Description)
	}
	if err == nil {
		err = c.AddFocusSet(ctx, focus)
	}
	if err == nil && found != nil {
		err = ec2.Record(ctx, c, found.Result)
	}
	if err != nil {
		c.Close()
		os.Remove(n.Path)
		os.Remove(n.Path + ".wal")
		return nil, nil, err
	}
	return c, found, nil
}
