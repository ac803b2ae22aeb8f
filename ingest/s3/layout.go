package s3

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// level is how deep a prefix lies in a flow-log delivery tree.
type level int

const (
	levelAbove   level = iota // the bucket or a user prefix above AWSLogs/
	levelAWSLogs              // [prefix/]AWSLogs/
	levelOrg                  // AWSLogs/o-xxxxxxxxxx/
	levelAccount              // AWSLogs/[o-org/]ACCOUNT/ or aws-account-id=ACCOUNT/
	levelService              // …/vpcflowlogs/ or aws-service=vpcflowlogs/
	levelRegion               // …/REGION/ or aws-region=REGION/: a Location
	levelYear                 // …/YYYY/ or year=YYYY/
	levelMonth                // …/MM/ or month=MM/
	levelDay                  // …/DD/ or day=DD/
	levelHour                 // …/HH/ or hour=HH/

	// Amazon Security Lake's layout:
	// [prefix/]aws/VPC_FLOW/[VERSION/]region=REGION/accountId=ACCOUNT/eventDay=YYYYMMDD/
	// (eventHour=YYYYMMDDHH/ in its first version).
	levelLake        // …/aws/: Security Lake's AWS sources, or a user prefix
	levelLakeSource  // aws/VPC_FLOW/
	levelLakeVersion // aws/VPC_FLOW/2.0/
	levelLakeRegion  // …/region=REGION/
	levelLakeAccount // …/region=REGION/accountId=ACCOUNT/: a Location
	levelLakeDay     // …/eventDay=YYYYMMDD/ or eventHour=YYYYMMDDHH/
)

// Folder names of Security Lake's layout.
const (
	lakeRoot   = "aws"
	lakeSource = "VPC_FLOW"
)

// node is a prefix of the delivery tree and what it says about the objects
// below it.
type node struct {
	prefix  string // the S3 prefix, "" or ending in "/"
	level   level
	depth   int  // folders searched below the URL while looking for AWSLogs/
	hive    bool // Hive-compatible names (aws-account-id=…)
	org     string
	account string
	region  string
	// The date the prefix names, when it is at or below a year folder; hour
	// is -1 when it names none.
	year, month, day, hour int
}

var (
	orgRE     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2,4}(-[a-z0-9]+)+-[0-9]+$`)
	numberRE  = regexp.MustCompile(`^[0-9]{1,4}$`)
	versionRE = regexp.MustCompile(`^[0-9]{1,3}\.[0-9]{1,3}$`)
)

// child returns the node of the folder seg below n, and whether seg is a
// folder the delivery layout has at that level. Above AWSLogs/ every folder
// is a candidate user prefix.
func (n node) child(seg string) (node, bool) {
	c := n
	c.prefix = n.prefix + seg + "/"
	switch n.level {
	case levelAbove, levelLake:
		switch {
		case seg == "AWSLogs":
			c.level, c.depth = levelAWSLogs, 0
		case n.level == levelLake && seg == lakeSource:
			c.level, c.depth = levelLakeSource, 0
		case seg == lakeRoot:
			c.level, c.depth = levelLake, c.depth+1
		default:
			c.level, c.depth = levelAbove, c.depth+1
		}
		return c, true
	case levelLakeSource:
		if versionRE.MatchString(seg) {
			c.level = levelLakeVersion
			return c, true
		}
		return n.lakeRegion(c, seg)
	case levelLakeVersion:
		return n.lakeRegion(c, seg)
	case levelLakeRegion:
		if a, ok := strings.CutPrefix(seg, "accountId="); ok && accountRE.MatchString(a) {
			c.level, c.account = levelLakeAccount, a
			return c, true
		}
	case levelLakeAccount:
		if d, hour, ok := lakeDay(seg); ok {
			c.level, c.year, c.month, c.day, c.hour = levelLakeDay, d.Year(), int(d.Month()), d.Day(), hour
			return c, true
		}
	case levelAWSLogs, levelOrg:
		if n.level == levelAWSLogs && orgRE.MatchString(seg) {
			c.level, c.org = levelOrg, seg
			return c, true
		}
		if accountRE.MatchString(seg) {
			c.level, c.account = levelAccount, seg
			return c, true
		}
		if a, ok := strings.CutPrefix(seg, "aws-account-id="); ok && accountRE.MatchString(a) {
			c.level, c.account, c.hive = levelAccount, a, true
			return c, true
		}
	case levelAccount:
		if seg == serviceFolder(n.hive) {
			c.level = levelService
			return c, true
		}
	case levelService:
		r := seg
		if n.hive {
			var ok bool
			if r, ok = strings.CutPrefix(seg, "aws-region="); !ok {
				return node{}, false
			}
		}
		if regionRE.MatchString(r) {
			c.level, c.region = levelRegion, r
			return c, true
		}
	case levelRegion:
		if v, ok := dateNumber(seg, n.hive, "year=", 1970, 9999); ok {
			c.level, c.year = levelYear, v
			return c, true
		}
	case levelYear:
		if v, ok := dateNumber(seg, n.hive, "month=", 1, 12); ok {
			c.level, c.month = levelMonth, v
			return c, true
		}
	case levelMonth:
		if v, ok := dateNumber(seg, n.hive, "day=", 1, 31); ok {
			c.level, c.day = levelDay, v
			return c, true
		}
	case levelDay:
		if v, ok := dateNumber(seg, n.hive, "hour=", 0, 23); ok {
			c.level, c.hour = levelHour, v
			return c, true
		}
	}
	return node{}, false
}

// lakeRegion is the region=REGION folder below Security Lake's source or
// its version.
func (n node) lakeRegion(c node, seg string) (node, bool) {
	if r, ok := strings.CutPrefix(seg, "region="); ok && regionRE.MatchString(r) {
		c.level, c.region = levelLakeRegion, r
		return c, true
	}
	return node{}, false
}

// lakeDay parses Security Lake's date folder: eventDay=YYYYMMDD, or
// eventHour=YYYYMMDDHH (hour is -1 for a day).
func lakeDay(seg string) (day time.Time, hour int, ok bool) {
	if v, found := strings.CutPrefix(seg, "eventDay="); found && len(v) == 8 {
		d, err := time.Parse("20060102", v)
		return d, -1, err == nil
	}
	if v, found := strings.CutPrefix(seg, "eventHour="); found && len(v) == 10 {
		d, err := time.Parse("2006010215", v)
		return truncDay(d), d.Hour(), err == nil
	}
	return time.Time{}, 0, false
}

func serviceFolder(hive bool) string {
	if hive {
		return "aws-service=vpcflowlogs"
	}
	return "vpcflowlogs"
}

// dateNumber parses a date folder: "2026" or "year=2026".
func dateNumber(seg string, hive bool, key string, lo, hi int) (int, bool) {
	if hive {
		var ok bool
		if seg, ok = strings.CutPrefix(seg, key); !ok {
			return 0, false
		}
	}
	if !numberRE.MatchString(seg) {
		return 0, false
	}
	v, _ := strconv.Atoi(seg)
	return v, v >= lo && v <= hi
}

// expected says what the layout has below a node, for error messages.
func (n node) expected() string {
	h := n.hive
	pick := func(plain, hive string) string {
		if h {
			return hive
		}
		return plain
	}
	switch n.level {
	case levelAWSLogs:
		return "an account (123456789012 or aws-account-id=123456789012) or an organization (o-…)"
	case levelOrg:
		return "an account (123456789012 or aws-account-id=123456789012)"
	case levelAccount:
		return serviceFolder(h)
	case levelService:
		return pick("a region (us-east-1)", "aws-region=REGION")
	case levelRegion:
		return pick("a year (2026)", "year=YYYY")
	case levelYear:
		return pick("a month (01–12)", "month=MM")
	case levelMonth:
		return pick("a day (01–31)", "day=DD")
	case levelDay:
		return pick("an hour (00–23)", "hour=HH")
	case levelLakeSource:
		return "a version (2.0) or region=REGION"
	case levelLakeVersion:
		return "region=REGION"
	case levelLakeRegion:
		return "accountId=ACCOUNT (12 digits)"
	case levelLakeAccount:
		return "eventDay=YYYYMMDD or eventHour=YYYYMMDDHH"
	case levelLakeDay:
		return "nothing more: an eventDay folder is the deepest prefix"
	}
	return "nothing more: an hour folder is the deepest prefix"
}

// ParseURL splits an s3://bucket/prefix URL (or the S3 ARN a flow log's
// LogDestination shows, arn:aws:s3:::bucket/prefix) into the bucket and the
// prefix, which is "" or ends in "/". A prefix that passes AWSLogs/ must
// follow the delivery layout down to at most an hour folder.
func ParseURL(raw string) (bucket, prefix string, err error) {
	n, bucket, err := parseURL(raw)
	return bucket, n.prefix, err
}

func parseURL(raw string) (node, string, error) {
	rest, ok := strings.CutPrefix(raw, "s3://")
	if !ok {
		if i := strings.Index(raw, ":s3:::"); strings.HasPrefix(raw, "arn:") && i > 0 {
			rest, ok = raw[i+len(":s3:::"):], true
		}
	}
	if !ok {
		return node{}, "", fmt.Errorf("s3: %q is not an S3 URL: give s3://bucket[/prefix]", raw)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return node{}, "", fmt.Errorf("s3: %q names no bucket: give s3://bucket[/prefix]", raw)
	}
	n, err := locate(prefix)
	if err != nil {
		return node{}, "", fmt.Errorf("s3: s3://%s/%s: %w", bucket, prefix, err)
	}
	return n, bucket, nil
}

// locate places a prefix in the delivery layout: the folders from the last
// AWSLogs/ (or Security Lake's aws/VPC_FLOW/) on must follow it; those above
// are the user's prefix.
func locate(prefix string) (node, error) {
	n := node{level: levelAbove, hour: -1}
	if prefix == "" {
		return n, nil
	}
	segs := strings.Split(strings.TrimSuffix(prefix, "/"), "/")
	anchor := -1
	for i, s := range segs {
		if s == "AWSLogs" || s == lakeRoot && (i+1 == len(segs) || segs[i+1] == lakeSource) {
			anchor = i
		}
	}
	if anchor < 0 {
		n.prefix = strings.Join(segs, "/") + "/"
		return n, nil
	}
	n.prefix = strings.Join(segs[:anchor], "/")
	if anchor > 0 {
		n.prefix += "/"
	}
	n, _ = n.child(segs[anchor])
	n.depth = 0
	for _, s := range segs[anchor+1:] {
		c, ok := n.child(s)
		if !ok {
			return node{}, fmt.Errorf("not a VPC flow log delivery prefix: after %s comes %q, where the layout has %s", n.prefix, s, n.expected())
		}
		n = c
	}
	return n, nil
}

// datePrefix is the folder path of a day below a region folder.
func datePrefix(d time.Time, hive bool) string {
	if hive {
		return fmt.Sprintf("year=%04d/month=%02d/day=%02d/", d.Year(), d.Month(), d.Day())
	}
	return fmt.Sprintf("%04d/%02d/%02d/", d.Year(), d.Month(), d.Day())
}

// hourPrefix is the folder of an hour below a day folder.
func hourPrefix(h int, hive bool) string {
	if hive {
		return fmt.Sprintf("hour=%02d/", h)
	}
	return fmt.Sprintf("%02d/", h)
}

var stampRE = regexp.MustCompile(`_([0-9]{8}T[0-9]{4}Z)_`)

// objectTime is the time in a delivered object's name,
// ACCOUNT_vpcflowlogs_REGION_fl-…_YYYYMMDDTHHmmZ_hash.log.gz: when AWS
// wrote the file. ok is false for a name without one.
func objectTime(key string) (t time.Time, ok bool) {
	name := key[strings.LastIndexByte(key, '/')+1:]
	m := stampRE.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T1504Z", m[1])
	return t, err == nil
}
