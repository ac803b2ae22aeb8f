package ec2

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/investigator/investigator/store"
)

// Record writes what discovery learned into the case: the instances (with
// their tags as JSON), network interfaces, focus addresses, VPC blocks and
// flow logs. What the case already holds is kept: recording the same Result
// twice adds nothing. An instance recorded earlier without EC2's details (from
// --instance-id) gets the columns it lacks filled in; nothing recorded is
// overwritten. Each row is written on its own, so a Record cut short is
// completed by running it again.
func Record(ctx context.Context, c *store.Case, r Result) error {
	if _, err := c.AddInstances(ctx, r.Instances); err != nil {
		return fmt.Errorf("ec2: record: %w", err)
	}
	for _, in := range r.Instances {
		tags, err := json.Marshal(nonNil(r.Tags[in.ID]))
		if err != nil {
			return fmt.Errorf("ec2: record tags of %s: %w", in.ID, err)
		}
		// Fill in what is missing, only where it is missing.
		_, err = c.DB.ExecContext(ctx, `UPDATE case_instances SET
				account_id = coalesce(account_id, nullif($2, '')),
				region     = coalesce(region, nullif($3, '')),
				vpc_id     = coalesce(vpc_id, nullif($4, '')),
				subnet_id  = coalesce(subnet_id, nullif($5, '')),
				name       = coalesce(name, nullif($6, '')),
				tags       = coalesce(tags, $7::JSON)
			WHERE instance_id = $1 AND (tags IS NULL
				OR account_id IS NULL AND $2 <> '' OR region IS NULL AND $3 <> ''
				OR vpc_id IS NULL AND $4 <> '' OR subnet_id IS NULL AND $5 <> '' OR name IS NULL AND $6 <> '')`,
			in.ID, in.AccountID, in.Region, in.VPCID, in.SubnetID, in.Name, string(tags))
		if err != nil {
			return fmt.Errorf("ec2: record instance %s: %w", in.ID, err)
		}
	}
	for _, ni := range r.Interfaces {
		_, err := c.DB.ExecContext(ctx, `INSERT INTO case_interfaces (interface_id, instance_id, subnet_id, vpc_id, description, source)
			VALUES (?, nullif(?, ''), nullif(?, ''), nullif(?, ''), nullif(?, ''), ?) ON CONFLICT DO NOTHING`,
			ni.ID, ni.InstanceID, ni.SubnetID, ni.VPCID, ni.Description, Source)
		if err != nil {
			return fmt.Errorf("ec2: record interface %s: %w", ni.ID, err)
		}
	}
	if _, err := c.AddFocus(ctx, r.Focus); err != nil {
		return fmt.Errorf("ec2: record: %w", err)
	}
	if _, err := c.AddVPCCIDRs(ctx, r.VPCCIDRs); err != nil {
		return fmt.Errorf("ec2: record: %w", err)
	}
	for _, f := range r.FlowLogs {
		var hive, perHour any
		if f.DestinationType == DestS3 { // the S3 layout means nothing elsewhere
			hive, perHour = f.HivePartitions, f.PerHour
		}
		_, err := c.DB.ExecContext(ctx, `INSERT INTO case_flow_logs (flow_log_id, resource_id, destination_type, log_group, destination,
				log_format, file_format, hive_partitions, per_hour, max_aggregation, account_id, region, status, traffic_type, source)
			VALUES (?, ?, ?, nullif(?, ''), nullif(?, ''), nullif(?, ''), nullif(?, ''), ?, ?, ?, nullif(?, ''), nullif(?, ''), nullif(?, ''), nullif(?, ''), ?)
			ON CONFLICT DO NOTHING`,
			f.ID, f.ResourceID, f.DestinationType, f.LogGroup, f.Destination, f.LogFormat, f.FileFormat, hive, perHour,
			f.MaxAggregation, f.AccountID, f.Region, f.Status, f.TrafficType, Source)
		if err != nil {
			return fmt.Errorf("ec2: record flow log %s: %w", f.ID, err)
		}
	}
	return nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Recorded reads back the flow logs an earlier discovery recorded in the
// case, so a later ingest can pull from them without asking EC2 again.
func Recorded(ctx context.Context, c *store.Case) ([]FlowLog, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT flow_log_id, resource_id, destination_type, coalesce(log_group, ''), coalesce(destination, ''),
			coalesce(log_format, ''), coalesce(file_format, ''), coalesce(hive_partitions, false), coalesce(per_hour, false),
			coalesce(max_aggregation, 0), coalesce(account_id, ''), coalesce(region, ''), coalesce(status, ''), coalesce(traffic_type, '')
		FROM case_flow_logs ORDER BY flow_log_id`)
	if err != nil {
		return nil, fmt.Errorf("ec2: recorded flow logs: %w", err)
	}
	defer rows.Close()
	var out []FlowLog
	for rows.Next() {
		var f FlowLog
		if err := rows.Scan(&f.ID, &f.ResourceID, &f.DestinationType, &f.LogGroup, &f.Destination, &f.LogFormat, &f.FileFormat,
			&f.HivePartitions, &f.PerHour, &f.MaxAggregation, &f.AccountID, &f.Region, &f.Status, &f.TrafficType); err != nil {
			return nil, fmt.Errorf("ec2: recorded flow logs: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
