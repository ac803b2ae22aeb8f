package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"os"
	"time"
)

// Instance is an EC2 instance the case is about.
type Instance struct {
	ID        string `json:"instance_id"`
	AccountID string `json:"account_id,omitempty"`
	Region    string `json:"region,omitempty"`
	VPCID     string `json:"vpc_id,omitempty"`
	SubnetID  string `json:"subnet_id,omitempty"`
	Name      string `json:"name,omitempty"`
	Source    string `json:"source"`
}

// FocusIP is one address of the case's instances.
type FocusIP struct {
	Addr        netip.Addr `json:"addr"`
	Kind        string     `json:"kind,omitempty"`
	InstanceID  string     `json:"instance_id,omitempty"`
	InterfaceID string     `json:"interface_id,omitempty"`
	Source      string     `json:"source"`
}

// VPCCIDR is one CIDR block of the case's VPC(s).
type VPCCIDR struct {
	Prefix netip.Prefix `json:"cidr"`
	VPCID  string       `json:"vpc_id,omitempty"`
	Source string       `json:"source"`
}

// Info is what the case is about.
type Info struct {
	Name        string     `json:"name"`
	Path        string     `json:"path"`
	Description string     `json:"description,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by,omitempty"`
	Schema      int        `json:"schema"`
	Instances   []Instance `json:"instances"`
	Focus       []FocusIP  `json:"focus"`
	VPCCIDRs    []VPCCIDR  `json:"vpc_cidrs"`
}

// Info reads the case's description, instances, focus addresses and VPC blocks.
func (c *Case) Info(ctx context.Context) (Info, error) {
	info := Info{Path: c.Path, Instances: []Instance{}, Focus: []FocusIP{}, VPCCIDRs: []VPCCIDR{}}
	var desc, by sql.NullString
	err := c.DB.QueryRowContext(ctx, `SELECT name, description, created_at, created_by FROM case_info LIMIT 1`).
		Scan(&info.Name, &desc, &info.CreatedAt, &by)
	if err != nil {
		return info, fmt.Errorf("store: case info: %w", err)
	}
	info.Description, info.CreatedBy = desc.String, by.String
	if err := c.DB.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&info.Schema); err != nil {
		return info, fmt.Errorf("store: case info: %w", err)
	}

	rows, err := c.DB.QueryContext(ctx, `SELECT instance_id, coalesce(account_id, ''), coalesce(region, ''), coalesce(vpc_id, ''),
		coalesce(subnet_id, ''), coalesce(name, ''), source FROM case_instances ORDER BY instance_id`)
	if err != nil {
		return info, fmt.Errorf("store: case instances: %w", err)
	}
	for rows.Next() {
		var in Instance
		if err := rows.Scan(&in.ID, &in.AccountID, &in.Region, &in.VPCID, &in.SubnetID, &in.Name, &in.Source); err != nil {
			rows.Close()
			return info, fmt.Errorf("store: case instances: %w", err)
		}
		info.Instances = append(info.Instances, in)
	}
	rows.Close()

	rows, err = c.DB.QueryContext(ctx, `SELECT addr, coalesce(kind, ''), coalesce(instance_id, ''), coalesce(interface_id, ''), source
		FROM focus_ips ORDER BY family, num`)
	if err != nil {
		return info, fmt.Errorf("store: focus: %w", err)
	}
	for rows.Next() {
		var f FocusIP
		var addr string
		if err := rows.Scan(&addr, &f.Kind, &f.InstanceID, &f.InterfaceID, &f.Source); err != nil {
			rows.Close()
			return info, fmt.Errorf("store: focus: %w", err)
		}
		f.Addr, _ = netip.ParseAddr(addr)
		info.Focus = append(info.Focus, f)
	}
	rows.Close()

	rows, err = c.DB.QueryContext(ctx, `SELECT cidr, coalesce(vpc_id, ''), source FROM vpc_cidrs ORDER BY family, start_num`)
	if err != nil {
		return info, fmt.Errorf("store: vpc cidrs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v VPCCIDR
		var cidr string
		if err := rows.Scan(&cidr, &v.VPCID, &v.Source); err != nil {
			return info, fmt.Errorf("store: vpc cidrs: %w", err)
		}
		v.Prefix, _ = netip.ParsePrefix(cidr)
		info.VPCCIDRs = append(info.VPCCIDRs, v)
	}
	return info, rows.Err()
}

// SetDescription records what the case is about, replacing what it said;
// an empty text leaves it without one.
func (c *Case) SetDescription(ctx context.Context, text string) error {
	if _, err := c.DB.ExecContext(ctx, `UPDATE case_info SET description = nullif(?, '')`, text); err != nil {
		return fmt.Errorf("store: set description: %w", err)
	}
	return nil
}

// AddInstances records instances; ones already recorded are left as they are.
func (c *Case) AddInstances(ctx context.Context, ins []Instance) (added int, err error) {
	for _, in := range ins {
		res, err := c.DB.ExecContext(ctx, `INSERT INTO case_instances (instance_id, account_id, region, vpc_id, subnet_id, name, source)
			VALUES (?, nullif(?, ''), nullif(?, ''), nullif(?, ''), nullif(?, ''), nullif(?, ''), ?) ON CONFLICT DO NOTHING`,
			in.ID, in.AccountID, in.Region, in.VPCID, in.SubnetID, in.Name, in.Source)
		if err != nil {
			return added, fmt.Errorf("store: add instance %s: %w", in.ID, err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	return added, nil
}

// AddFocus records focus addresses; ones already recorded are left as they are.
func (c *Case) AddFocus(ctx context.Context, ips []FocusIP) (added int, err error) {
	for _, f := range ips {
		a := f.Addr.Unmap()
		res, err := c.DB.ExecContext(ctx, `INSERT INTO focus_ips (addr, family, num, kind, instance_id, interface_id, source)
			VALUES (?, ?, ?::UHUGEINT, nullif(?, ''), nullif(?, ''), nullif(?, ''), ?) ON CONFLICT DO NOTHING`,
			a.String(), Family(a), AddrNum(a), f.Kind, f.InstanceID, f.InterfaceID, f.Source)
		if err != nil {
			return added, fmt.Errorf("store: add focus %s: %w", a, err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	return added, nil
}

// AddVPCCIDRs records VPC CIDR blocks; ones already recorded are left as they are.
func (c *Case) AddVPCCIDRs(ctx context.Context, cidrs []VPCCIDR) (added int, err error) {
	for _, v := range cidrs {
		p := v.Prefix.Masked()
		first, last := PrefixRange(p)
		res, err := c.DB.ExecContext(ctx, `INSERT INTO vpc_cidrs (cidr, family, start_num, end_num, vpc_id, source)
			VALUES (?, ?, ?::UHUGEINT, ?::UHUGEINT, nullif(?, ''), ?) ON CONFLICT DO NOTHING`,
			p.String(), Family(p.Addr()), first, last, v.VPCID, v.Source)
		if err != nil {
			return added, fmt.Errorf("store: add VPC CIDR %s: %w", p, err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	return added, nil
}

// Summary is the shape of a case at a glance.
type Summary struct {
	Records    int64      `json:"records"`
	Accepted   int64      `json:"accepted"`
	Rejected   int64      `json:"rejected"`
	NoData     int64      `json:"nodata"`
	SkipData   int64      `json:"skipdata"`
	Bytes      int64      `json:"bytes"`
	Packets    int64      `json:"packets"`
	Interfaces int64      `json:"interfaces"`
	First      *time.Time `json:"first,omitempty"`
	Last       *time.Time `json:"last,omitempty"`
	Files      int64      `json:"files"`
	BadLines   int64      `json:"rejected_lines"`
	LastIngest *time.Time `json:"last_ingest,omitempty"`
	SizeBytes  int64      `json:"size_bytes"`
}

// Summary counts the case's records, actions, time range and manifest.
func (c *Case) Summary(ctx context.Context) (Summary, error) {
	var s Summary
	var first, last sql.NullTime
	err := c.DB.QueryRowContext(ctx, `SELECT
			count(*),
			count(*) FILTER (action = 'ACCEPT'),
			count(*) FILTER (action = 'REJECT'),
			count(*) FILTER (log_status = 'NODATA'),
			count(*) FILTER (log_status = 'SKIPDATA'),
			coalesce(sum(bytes), 0)::BIGINT,
			coalesce(sum(packets), 0)::BIGINT,
			count(DISTINCT interface_id),
			min(start),
			max("end")
		FROM flows`).Scan(&s.Records, &s.Accepted, &s.Rejected, &s.NoData, &s.SkipData, &s.Bytes, &s.Packets, &s.Interfaces, &first, &last)
	if err != nil {
		return s, fmt.Errorf("store: summary: %w", err)
	}
	s.First, s.Last = timePtr(first), timePtr(last)
	return s, c.manifestSummary(ctx, &s)
}

// Brief is the part of Summary a list of cases shows — records, time
// range, manifest and size — read from the table's statistics and the
// manifest, without a pass over the records: milliseconds on a case of
// 100M records, where Summary takes seconds. The other counts are zero.
func (c *Case) Brief(ctx context.Context) (Summary, error) {
	var s Summary
	var first, last sql.NullTime
	err := c.DB.QueryRowContext(ctx, `SELECT count(*), min(start), max("end") FROM flow_records`).Scan(&s.Records, &first, &last)
	if err != nil {
		return s, fmt.Errorf("store: summary: %w", err)
	}
	s.First, s.Last = timePtr(first), timePtr(last)
	return s, c.manifestSummary(ctx, &s)
}

// manifestSummary fills in what the manifest and the file say.
func (c *Case) manifestSummary(ctx context.Context, s *Summary) error {
	var lastIngest sql.NullTime
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(rejected), 0)::BIGINT, max(loaded_at) FROM ingest_files`).
		Scan(&s.Files, &s.BadLines, &lastIngest); err != nil {
		return fmt.Errorf("store: summary: %w", err)
	}
	s.LastIngest = timePtr(lastIngest)
	if st, err := os.Stat(c.Path); err == nil {
		s.SizeBytes = st.Size()
	}
	return nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
