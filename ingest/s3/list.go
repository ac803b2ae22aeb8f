package s3

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// object is a listed object in the window.
type object struct {
	key    string
	etag   string // as S3 returns it, quoted
	size   int64
	source string // s3://bucket/key
	dedup  string // s3:bucket/key#etag
}

// discover walks the delivery tree from n down to its locations (account
// and region folders) and lists the partitions of each, sending the objects
// in the window to jobs.
func (p *puller) discover(ctx context.Context, n node, jobs chan<- object) error {
	switch n.level {
	case levelAbove, levelLake:
		if n.depth > MaxSearchDepth {
			return nil
		}
		p.mu.Lock()
		p.searched++
		tooMany := p.searched > maxSearchListings
		p.mu.Unlock()
		if tooMany {
			return fmt.Errorf("s3: s3://%s/%s holds more than %d folders to search for AWSLogs/: give the flow logs' prefix in the URL (the LogDestination that aws ec2 describe-flow-logs shows)",
				p.bucket, p.sum.Prefix, maxSearchListings)
		}
		children, err := p.folders(ctx, n.prefix)
		if err != nil {
			return err
		}
		// A folder that holds AWSLogs/ is the flow logs' prefix, and
		// Security Lake's aws/ folder holds VPC_FLOW/ among its other
		// sources: the other folders are not searched. Otherwise every
		// folder may be a prefix above one.
		switch {
		case slices.Contains(children, "AWSLogs"):
			children = []string{"AWSLogs"}
		case n.level == levelLake && slices.Contains(children, lakeSource):
			children = []string{lakeSource}
		}
		for _, seg := range children {
			c, _ := n.child(seg)
			if err := p.discover(ctx, c, jobs); err != nil {
				return err
			}
		}
		return nil
	case levelAWSLogs, levelOrg, levelService, levelLakeSource, levelLakeVersion, levelLakeRegion:
		if !p.wanted(n) {
			return nil
		}
		children, err := p.folders(ctx, n.prefix)
		if err != nil {
			return err
		}
		for _, seg := range children {
			if c, ok := n.child(seg); ok {
				if err := p.discover(ctx, c, jobs); err != nil {
					return err
				}
			}
		}
		return nil
	case levelAccount:
		if !p.wanted(n) {
			return nil
		}
		// Only the flow logs' folder: the account folder may hold other
		// services' logs (CloudTrail, ELB) that are no business of ours.
		c, _ := n.child(serviceFolder(n.hive))
		return p.discover(ctx, c, jobs)
	}
	if !p.wanted(n) {
		return nil
	}
	if n.level >= levelLakeAccount {
		return p.lakeLocation(ctx, n, jobs)
	}
	return p.location(ctx, n, jobs)
}

// wanted applies the account and region filters, and notes what they left
// out.
func (p *puller) wanted(n node) bool {
	keep := true
	var what string
	if n.account != "" && len(p.o.Accounts) > 0 && !slices.Contains(p.o.Accounts, n.account) {
		keep, what = false, "account "+n.account
	}
	if keep && n.region != "" && len(p.o.Regions) > 0 && !slices.Contains(p.o.Regions, n.region) {
		keep, what = false, "region "+n.region
		if n.account != "" {
			what += " of " + n.account
		}
	}
	if !keep {
		p.mu.Lock()
		if !slices.Contains(p.excluded, what) {
			p.excluded = append(p.excluded, what)
		}
		p.mu.Unlock()
	}
	return keep
}

// location lists the partitions of one account and region that the window
// reaches: every day folder overlapping the window widened by the margin
// and, in each, the objects and the hour folders that overlap it too. When
// the URL named a year, month, day or hour, only what it names is listed.
func (p *puller) location(ctx context.Context, n node, jobs chan<- object) error {
	regionPrefix := n.prefix
	for l := n.level; l > levelRegion; l-- {
		regionPrefix = regionPrefix[:strings.LastIndexByte(strings.TrimSuffix(regionPrefix, "/"), '/')+1]
	}
	mark := p.found(Location{Bucket: p.bucket, Prefix: regionPrefix, Org: n.org, Account: n.account, Region: n.region, Hive: n.hive})
	if n.level >= levelDay {
		// The URL names the day (or the hour): list just that folder.
		d := time.Date(n.year, time.Month(n.month), n.day, 0, 0, 0, 0, time.UTC)
		if !p.dayWanted(d) {
			return nil
		}
		if n.level == levelHour {
			if p.hourWanted(d, n.hour) {
				found, err := p.partition(ctx, n.prefix, jobs)
				mark(false, found)
				return err
			}
			return nil
		}
		return p.day(ctx, n, d, n.prefix, mark, jobs)
	}
	for d := truncDay(p.lo); !d.After(p.hi); d = d.AddDate(0, 0, 1) {
		if (n.year != 0 && d.Year() != n.year) || (n.month != 0 && int(d.Month()) != n.month) {
			continue
		}
		if err := p.day(ctx, n, d, regionPrefix+datePrefix(d, n.hive), mark, jobs); err != nil {
			return err
		}
	}
	return nil
}

// found adds a location to the summary; mark records the partitions found
// in it.
func (p *puller) found(loc Location) (mark func(daily, hourly bool)) {
	p.mu.Lock()
	p.sum.Locations = append(p.sum.Locations, loc)
	i := len(p.sum.Locations) - 1
	p.mu.Unlock()
	return func(daily, hourly bool) {
		p.mu.Lock()
		l := &p.sum.Locations[i]
		l.Daily = l.Daily || daily
		l.Hourly = l.Hourly || hourly
		p.mu.Unlock()
	}
}

// lakeLocation lists the partitions of one Security Lake account and region
// that the window widened by the margin reaches: the eventDay (or
// eventHour) folders of the account folder, which name the records' event
// time. When the URL named one, only it is listed.
func (p *puller) lakeLocation(ctx context.Context, n node, jobs chan<- object) error {
	accountPrefix := n.prefix
	if n.level == levelLakeDay {
		accountPrefix = accountPrefix[:strings.LastIndexByte(strings.TrimSuffix(accountPrefix, "/"), '/')+1]
	}
	mark := p.found(Location{Bucket: p.bucket, Prefix: accountPrefix, Account: n.account, Region: n.region, Lake: true})
	var folders []string
	if n.level == levelLakeDay {
		folders = []string{strings.TrimSuffix(strings.TrimPrefix(n.prefix, accountPrefix), "/")}
	} else {
		var err error
		if folders, err = p.folders(ctx, accountPrefix); err != nil {
			return err
		}
	}
	for _, seg := range folders {
		d, h, ok := lakeDay(seg)
		if !ok || !p.dayWanted(d) || h >= 0 && !p.hourWanted(d, h) {
			continue
		}
		found, err := p.partition(ctx, accountPrefix+seg+"/", jobs)
		if err != nil {
			return err
		}
		mark(found && h < 0, found && h >= 0)
	}
	return nil
}

// dayWanted reports whether day d overlaps the window widened by the
// margin.
func (p *puller) dayWanted(d time.Time) bool {
	return !d.After(p.hi) && d.AddDate(0, 0, 1).After(p.lo)
}

// day lists a day folder: its objects (daily partitions) and the hour
// folders in it that overlap the window widened by the margin (hourly
// partitions; a location where several flow logs deliver can have both).
func (p *puller) day(ctx context.Context, n node, d time.Time, prefix string, mark func(daily, hourly bool), jobs chan<- object) error {
	type hour struct {
		h      int
		prefix string
	}
	var hours []hour
	found, err := p.list(ctx, prefix, true, func(prefixes []string, objs []types.Object) error {
		for _, cp := range prefixes {
			seg := strings.TrimSuffix(strings.TrimPrefix(cp, prefix), "/")
			if h, ok := dateNumber(seg, n.hive, "hour=", 0, 23); ok {
				hours = append(hours, hour{h, cp})
			}
		}
		return p.objects(ctx, objs, jobs)
	})
	if err != nil {
		return err
	}
	mark(found, len(hours) > 0)
	slices.SortFunc(hours, func(a, b hour) int { return strings.Compare(a.prefix, b.prefix) })
	hours = slices.CompactFunc(hours, func(a, b hour) bool { return a.prefix == b.prefix })
	for _, h := range hours {
		if !p.hourWanted(d, h.h) {
			continue
		}
		if _, err := p.partition(ctx, h.prefix, jobs); err != nil {
			return err
		}
	}
	return nil
}

// hourWanted reports whether the hour folder h of day d overlaps the window
// widened by the margin.
func (p *puller) hourWanted(d time.Time, h int) bool {
	t := d.Add(time.Duration(h) * time.Hour)
	return !t.After(p.hi) && t.Add(time.Hour).After(p.lo)
}

func truncDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// partition lists one day or hour folder and queues its objects in the
// window; found reports whether it held any object.
func (p *puller) partition(ctx context.Context, prefix string, jobs chan<- object) (found bool, err error) {
	return p.list(ctx, prefix, true, func(_ []string, objs []types.Object) error {
		return p.objects(ctx, objs, jobs)
	})
}

// objects queues the listed objects delivered within the window.
func (p *puller) objects(ctx context.Context, objs []types.Object, jobs chan<- object) error {
	for _, o := range objs {
		key := aws.ToString(o.Key)
		if strings.HasSuffix(key, "/") {
			continue // a folder marker
		}
		p.mu.Lock()
		p.sum.Listed++
		p.prog.Listed++
		t, ok := objectTime(key)
		in := !ok || (!t.Before(p.lo) && !t.After(p.hi))
		if in {
			p.sum.Objects++
			p.prog.Objects++
		} else {
			p.sum.OutsideWindow++
		}
		p.progress()
		p.mu.Unlock()
		if !in {
			continue
		}
		etag := aws.ToString(o.ETag)
		obj := object{
			key:    key,
			etag:   etag,
			size:   aws.ToInt64(o.Size),
			source: "s3://" + p.bucket + "/" + key,
			dedup:  "s3:" + p.bucket + "/" + key + "#" + strings.Trim(etag, `"`),
		}
		select {
		case jobs <- obj:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// folders lists the sub-folders of prefix, as the names below it.
func (p *puller) folders(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	_, err := p.list(ctx, prefix, false, func(prefixes []string, _ []types.Object) error {
		for _, cp := range prefixes {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(cp, prefix), "/"))
		}
		return nil
	})
	slices.Sort(out)
	return slices.Compact(out), err
}

// list lists one folder (Delimiter "/") page by page; partition records it
// in the summary. found reports whether the folder held objects.
func (p *puller) list(ctx context.Context, prefix string, partition bool, page func(prefixes []string, objs []types.Object) error) (found bool, err error) {
	if partition {
		p.mu.Lock()
		p.sum.Partitions = append(p.sum.Partitions, prefix)
		p.mu.Unlock()
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(p.bucket), Delimiter: aws.String("/")}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	pg := s3.NewListObjectsV2Paginator(p.api, in)
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		p.mu.Lock()
		p.sum.Requests++
		p.mu.Unlock()
		if err != nil {
			return found, p.explain(err, "list", prefix)
		}
		prefixes := make([]string, 0, len(out.CommonPrefixes))
		for _, cp := range out.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
		found = found || len(out.Contents) > 0
		if err := page(prefixes, out.Contents); err != nil {
			return found, err
		}
	}
	return found, nil
}
