// Package asn reads offline ASN data, which maps every routed address to the
// autonomous system that announces it, keeps one current snapshot of it in
// the home folder (Home), and loads it into a case's asn_snapshots and
// asn_ranges tables, so the case names the AS behind any address with no
// query to anyone.
//
// Two kinds of file are read, decided by their content, never by their name:
//
//   - iptoasn.com's TSV (ip2asn-v4.tsv, ip2asn-v6.tsv, ip2asn-combined.tsv,
//     plain or gzip): range_start, range_end, AS_number, country_code,
//     AS_description, separated by tabs. Rows of AS 0 ("Not routed") are
//     passed over and counted.
//   - MaxMind DB files with autonomous_system_number and
//     autonomous_system_organization in their records: MaxMind's
//     GeoLite2-ASN and GeoIP2-ISP, DB-IP's ASN Lite. Plain, gzip (DB-IP
//     ships .mmdb.gz) or inside a tar or tar.gz (MaxMind ships
//     GeoLite2-ASN_YYYYMMDD.tar.gz).
//
// A line of a TSV that is not a range is skipped and counted, and the first
// few are described; a file that is mostly such lines, or that is some other
// kind of file, is refused with a message saying what it looks like.
package asn

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// Range is a run of addresses announced by one autonomous system.
type Range struct {
	// First and Last are the first and last address, both of one family,
	// First <= Last. IPv4 addresses are IPv4 (never IPv4-mapped IPv6).
	First, Last netip.Addr
	// ASN is the AS number; never 0 (AS 0 marks unrouted space and is not
	// kept).
	ASN uint32
	// Name is the AS description the file gives ("GOOGLE", "CLOUDFLARENET -
	// Cloudflare, Inc."); "" when it gives none.
	Name string
	// Country is the ISO 3166 country code of the AS's registration, as the
	// file gives it; "" when it gives none (MaxMind's and DB-IP's ASN
	// databases never do; iptoasn's "None" and "Unknown" become "").
	Country string
}

// Snapshot is one ASN file, parsed.
type Snapshot struct {
	// Source is the file name the bytes came from.
	Source string
	// Format is FormatIPtoASN or FormatMMDB.
	Format string
	// SHA256 is the hex SHA-256 of the file's bytes as given (compressed, if
	// it was).
	SHA256 string
	// Date is when the data was built, in UTC: a MaxMind DB's build_epoch.
	// iptoasn's files carry no date: zero.
	Date time.Time
	// FetchedAt is when the file entered the home folder; zero from Parse.
	FetchedAt time.Time
	// Database is a MaxMind DB's database_type (GeoLite2-ASN,
	// DBIP-ASN-Lite (compat=GeoLite2-ASN), ...); "" for a TSV.
	Database string
	// Container is how the data was wrapped: "" (plain), "gzip", "tar" or
	// "tar.gz".
	Container string
	// Ranges are sorted (IPv4 before IPv6, then by First) and never empty.
	// A MaxMind DB's networks are merged where adjacent networks have the
	// same AS, name and country, so a range is not always a CIDR prefix.
	Ranges []Range
	// Entries is how many rows or networks with an AS the file holds, before
	// adjacent MaxMind DB networks are merged.
	Entries int
	// NotRouted is how many rows of AS 0 ("Not routed") a TSV holds, or how
	// many networks of a MaxMind DB carry no AS number; they are not kept.
	NotRouted int
	// Skipped is how many lines were not ranges (or MaxMind DB records that
	// could not be read) and were skipped; SkippedLines describes the first
	// few.
	Skipped      int
	SkippedLines []string
}

// Count returns the number of IPv4 and IPv6 ranges.
func (s Snapshot) Count() (v4, v6 int) {
	for _, r := range s.Ranges {
		if r.First.Is4() {
			v4++
		} else {
			v6++
		}
	}
	return v4, v6
}

// ASNs returns the number of distinct AS numbers.
func (s Snapshot) ASNs() int {
	seen := make(map[uint32]struct{}, len(s.Ranges)/4)
	for _, r := range s.Ranges {
		seen[r.ASN] = struct{}{}
	}
	return len(seen)
}

// Formats a snapshot can have: the values of asn_snapshots.format.
const (
	FormatIPtoASN = "iptoasn"
	FormatMMDB    = "mmdb"
)

// MaxMMDBSize is the largest MaxMind DB read (after decompression): a
// MaxMind DB is read whole into memory. GeoLite2-ASN is about 10 MB.
const MaxMMDBSize = 512 << 20

// reportSkipped is how many skipped lines a Snapshot describes.
const reportSkipped = 5

// Parse reads an ASN file whole from data; source is its file name, kept in
// the snapshot and used in messages. See the package documentation for the
// formats. Home.Import reads files as a stream instead.
func Parse(source string, data []byte) (Snapshot, error) {
	sum := sha256.Sum256(data)
	s, err := parseStream(source, bytes.NewReader(data))
	if err != nil {
		return Snapshot{}, err
	}
	s.SHA256 = hex.EncodeToString(sum[:])
	return s, nil
}

// baseName is the last element of a file name or path, for messages.
func baseName(source string) string {
	if source == "" {
		return "the file"
	}
	return path.Base(strings.ReplaceAll(source, "\\", "/"))
}

// parseStream reads an ASN file from r, detecting its kind; the snapshot has
// no SHA256 (the caller hashes the bytes it hands over).
func parseStream(source string, r io.Reader) (Snapshot, error) {
	name := baseName(source)
	s, err := parseLayer(r, "")
	if err != nil {
		return Snapshot{}, fmt.Errorf("asn: %s: %w", name, err)
	}
	s.Source = source
	return s, nil
}

var (
	gzipMagic  = []byte{0x1f, 0x8b}
	mmdbMarker = []byte("\xab\xcd\xefMaxMind.com")
)

// headerBytes is how much of a file its kind is decided on.
const headerBytes = 4096

// parseLayer detects what r holds: gzip and tar are opened (container says
// which wrappers are already open: "", "gzip", "tar" or "tar.gz"), then the
// TSV or MaxMind DB inside is read.
func parseLayer(r io.Reader, container string) (Snapshot, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	head, err := br.Peek(headerBytes)
	if err != nil && !errors.Is(err, io.EOF) {
		return Snapshot{}, readError(container, err)
	}
	switch {
	case len(head) == 0 && container == "":
		return Snapshot{}, errors.New("the file is empty")
	case len(head) == 0:
		return Snapshot{}, fmt.Errorf("the %s data inside is empty", container)
	case bytes.HasPrefix(head, gzipMagic):
		if container != "" {
			return Snapshot{}, fmt.Errorf("gzip data inside %s: not an ASN file", container)
		}
		gz, err := gzip.NewReader(br)
		if err != nil {
			return Snapshot{}, fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		return parseLayer(gz, "gzip")
	case isTar(head):
		if container != "" && container != "gzip" {
			return Snapshot{}, fmt.Errorf("a tar archive inside %s: not an ASN file", container)
		}
		c := "tar"
		if container == "gzip" {
			c = "tar.gz"
		}
		return parseTar(br, c)
	case looksText(head):
		s, err := parseTSV(br, container)
		if err != nil {
			return Snapshot{}, err
		}
		s.Container = container
		return s, nil
	}
	data, err := io.ReadAll(io.LimitReader(br, MaxMMDBSize+1))
	if err != nil {
		return Snapshot{}, readError(container, err)
	}
	if len(data) > MaxMMDBSize {
		return Snapshot{}, fmt.Errorf("binary data larger than %d MB: not an ASN database", MaxMMDBSize>>20)
	}
	// The metadata section, which ends a MaxMind DB, is at most 128 KiB.
	if !bytes.Contains(data[max(0, len(data)-128<<10):], mmdbMarker) {
		return Snapshot{}, errors.New("binary data, neither an iptoasn TSV nor a MaxMind DB")
	}
	s, err := parseMMDB(data)
	if err != nil {
		return Snapshot{}, err
	}
	s.Container = container
	return s, nil
}

func readError(container string, err error) error {
	if container != "" {
		return fmt.Errorf("%s: %w", container, err)
	}
	return err
}

// isTar tells a POSIX or GNU tar header.
func isTar(head []byte) bool {
	return len(head) >= 263 && bytes.Equal(head[257:262], []byte("ustar"))
}

// looksText tells text (a TSV, or any other text file, which the TSV reader
// then names) from binary data: no NUL bytes and valid UTF-8 at the start.
func looksText(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	// The peek may end inside a multi-byte character.
	for i := 0; i < utf8.UTFMax && len(head) > 0 && !utf8.Valid(head); i++ {
		head = head[:len(head)-1]
	}
	return utf8.Valid(head)
}

// parseTar reads the first .mmdb or .tsv member of a tar archive (MaxMind's
// GeoLite2-ASN_YYYYMMDD.tar.gz holds a COPYRIGHT.txt, a LICENSE.txt and the
// .mmdb).
func parseTar(r io.Reader, container string) (Snapshot, error) {
	tr := tar.NewReader(r)
	var members []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Snapshot{}, fmt.Errorf("%s: %w", container, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		members = append(members, hdr.Name)
		lower := strings.ToLower(hdr.Name)
		if !strings.HasSuffix(lower, ".mmdb") && !strings.HasSuffix(lower, ".tsv") {
			continue
		}
		s, err := parseLayer(tr, container)
		if err != nil {
			return Snapshot{}, fmt.Errorf("%s in the archive: %w", hdr.Name, err)
		}
		return s, nil
	}
	if len(members) == 0 {
		return Snapshot{}, errors.New("a tar archive with no files in it")
	}
	if len(members) > 5 {
		members = append(members[:5], "...")
	}
	return Snapshot{}, fmt.Errorf("a tar archive with no .mmdb or .tsv file in it (%s)", strings.Join(members, ", "))
}
