package asn

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/oschwald/maxminddb-golang/v2"
)

// mmdbRecord is what an ASN database says about a network: MaxMind's
// GeoLite2-ASN and GeoIP2-ISP, and DB-IP's ASN databases, use these names.
type mmdbRecord struct {
	ASN  uint32 `maxminddb:"autonomous_system_number"`
	Name string `maxminddb:"autonomous_system_organization"`
}

// refuseMMDBAfter is how many networks with data, none of them with an AS
// number, make a MaxMind DB another kind of database (a City or Country one).
const refuseMMDBAfter = 10000

// parseMMDB reads every network of a MaxMind DB with an AS number.
func parseMMDB(data []byte) (Snapshot, error) {
	db, err := maxminddb.OpenBytes(data)
	if err != nil {
		return Snapshot{}, fmt.Errorf("a damaged MaxMind DB: %w", err)
	}
	defer db.Close()
	md := db.Metadata
	s := Snapshot{Format: FormatMMDB, Database: md.DatabaseType}
	if md.BuildEpoch > 0 {
		s.Date = md.BuildTime().UTC()
	}
	type decoded struct {
		rec mmdbRecord
		err error
	}
	var (
		ranges   chunks
		names    = interner{}
		cache    = map[uintptr]decoded{}
		visited  uint
		withData int
	)
	// A search tree of n nodes has at most n+1 leaves; a damaged (or hostile)
	// tree whose nodes share children could have many more, so networks are
	// counted, those without data too, and too many stop the reading.
	for res := range db.Networks(maxminddb.IncludeNetworksWithoutData()) {
		if visited++; visited > md.NodeCount+1 {
			return Snapshot{}, errors.New("a damaged MaxMind DB: its search tree has more networks than nodes")
		}
		if err := res.Err(); err != nil {
			return Snapshot{}, fmt.Errorf("a damaged MaxMind DB: %w", err)
		}
		if !res.Found() {
			continue
		}
		if withData++; ranges.n == 0 && withData > refuseMMDBAfter {
			break // no AS numbers so far: another kind of database
		}
		d, ok := cache[res.Offset()]
		if !ok {
			d.err = res.Decode(&d.rec)
			d.rec.Name = names.get([]byte(d.rec.Name))
			cache[res.Offset()] = d
		}
		p := res.Prefix()
		first, last := p.Addr(), lastAddr(p)
		if first.Is4In6() && last.Is4In6() { // IPv4 data stored at ::ffff:0:0/96 rather than ::/96
			first, last = first.Unmap(), last.Unmap()
		}
		reason := ""
		switch {
		case d.err != nil:
			reason = d.err.Error()
		case d.rec.ASN == 0:
			s.NotRouted++
			continue
		default:
			reason = checkRange(first, last)
		}
		if reason != "" {
			s.Skipped++
			if len(s.SkippedLines) < reportSkipped {
				s.SkippedLines = append(s.SkippedLines, fmt.Sprintf("network %s: %s", p, reason))
			}
		} else {
			ranges.add(Range{First: first, Last: last, ASN: d.rec.ASN, Name: d.rec.Name})
		}
	}
	s.Ranges = ranges.all()
	s.Entries = len(s.Ranges)
	switch {
	case len(s.Ranges) == 0 && s.Skipped > 0:
		return Snapshot{}, fmt.Errorf("a MaxMind DB (%s) whose records could not be read as ASN data (%s)", describeDB(md.DatabaseType), s.SkippedLines[0])
	case len(s.Ranges) == 0 && withData > 0:
		return Snapshot{}, fmt.Errorf("a MaxMind DB (%s) with no autonomous_system_number in its records: not ASN data (GeoLite2-ASN, GeoIP2-ISP and DB-IP's ASN databases are)", describeDB(md.DatabaseType))
	case len(s.Ranges) == 0:
		return Snapshot{}, fmt.Errorf("a MaxMind DB (%s) with no networks in it", describeDB(md.DatabaseType))
	case s.Skipped > len(s.Ranges):
		return Snapshot{}, fmt.Errorf("a MaxMind DB (%s) whose records are mostly not ASN data: %d of %d could not be read (%s)", describeDB(md.DatabaseType), s.Skipped, withData, s.SkippedLines[0])
	}
	s.Ranges = mergeAdjacent(s.Ranges)
	return s, nil
}

func describeDB(t string) string {
	if t == "" {
		return "no database_type"
	}
	return "database_type " + t
}

// lastAddr is the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	a := p.Addr()
	if a.Is4() {
		b := a.As4()
		for i := p.Bits(); i < 32; i++ {
			b[i/8] |= 1 << (7 - i%8)
		}
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	for i := p.Bits(); i < 128; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	return netip.AddrFrom16(b)
}

// mergeAdjacent sorts ranges and joins neighbours of the same AS, name and
// country with no gap between them: a MaxMind DB splits an announcement
// into CIDR networks, and the case needs one row for it.
func mergeAdjacent(rs []Range) []Range {
	if !slices.IsSortedFunc(rs, compareRanges) {
		slices.SortStableFunc(rs, compareRanges)
	}
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 {
			p := &out[n-1]
			if next := p.Last.Next(); next.IsValid() && next == r.First && p.ASN == r.ASN && p.Name == r.Name && p.Country == r.Country {
				p.Last = r.Last
				continue
			}
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}
