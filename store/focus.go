package store

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// FocusError is a value of what a case is about that cannot be recorded: an
// instance id, an address or a VPC CIDR block that is not one. Its text is
// for people, the same on the command line and the workbench.
type FocusError struct {
	Value  string // as given
	Reason string // what is wrong, and what was expected
}

func (e *FocusError) Error() string { return fmt.Sprintf("%q %s", e.Value, e.Reason) }

// UserMessage is the error's text, which is written for people.
func (e *FocusError) UserMessage() string { return e.Error() }

// instanceID is an EC2 instance id: i- and 17 hexadecimal digits, or 8 for
// instances launched before 2016.
var instanceID = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)

// ParseInstanceID validates an EC2 instance id.
func ParseInstanceID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !instanceID.MatchString(s) {
		return "", &FocusError{Value: s, Reason: "is not an EC2 instance id: one is i- followed by 17 (or, for old instances, 8) hexadecimal digits, like i-0123456789abcdef0"}
	}
	return s, nil
}

// ParseFocusAddr validates an address of the case's instances: IPv4 or
// IPv6, without a zone; an IPv4-mapped IPv6 address is its IPv4 address.
func ParseFocusAddr(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, &FocusError{Value: s, Reason: "is not an IPv4 or IPv6 address"}
	}
	return a.Unmap(), nil
}

// ParseVPCCIDR validates a CIDR block of the case's VPC: a network address
// and its prefix length. A block with host bits set (10.0.0.1/16) is
// refused, not masked: it is more likely a typo than a network.
func ParseVPCCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, &FocusError{Value: s, Reason: "is not a CIDR block like 10.0.0.0/16 or 2600:1f18::/56"}
	}
	if p.Masked() != p {
		return netip.Prefix{}, &FocusError{Value: s, Reason: fmt.Sprintf("has host bits set; did you mean %s?", p.Masked())}
	}
	return p, nil
}

// Focus is what a case is about, given by an analyst: instance ids,
// addresses and VPC blocks, each recorded with its source.
type Focus struct {
	Instances []Instance
	Addrs     []FocusIP
	CIDRs     []VPCCIDR
}

// Empty reports whether the focus names nothing.
func (f Focus) Empty() bool { return len(f.Instances)+len(f.Addrs)+len(f.CIDRs) == 0 }

// ParseFocus validates instance ids, addresses and VPC blocks as given (by
// flags, a form), to be recorded with source; the first bad value is the
// error.
func ParseFocus(ids, addrs, cidrs []string, source string) (Focus, error) {
	var f Focus
	for _, s := range ids {
		id, err := ParseInstanceID(s)
		if err != nil {
			return Focus{}, err
		}
		f.Instances = append(f.Instances, Instance{ID: id, Source: source})
	}
	for _, s := range addrs {
		a, err := ParseFocusAddr(s)
		if err != nil {
			return Focus{}, err
		}
		f.Addrs = append(f.Addrs, FocusIP{Addr: a, Kind: "given", Source: source})
	}
	for _, s := range cidrs {
		p, err := ParseVPCCIDR(s)
		if err != nil {
			return Focus{}, err
		}
		f.CIDRs = append(f.CIDRs, VPCCIDR{Prefix: p, Source: source})
	}
	return f, nil
}

// AddFocusSet records a focus: its instances, addresses and VPC blocks
// (what is already recorded stays as it is).
func (c *Case) AddFocusSet(ctx context.Context, f Focus) error {
	if _, err := c.AddInstances(ctx, f.Instances); err != nil {
		return err
	}
	if _, err := c.AddFocus(ctx, f.Addrs); err != nil {
		return err
	}
	_, err := c.AddVPCCIDRs(ctx, f.CIDRs)
	return err
}
