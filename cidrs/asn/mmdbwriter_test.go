package asn

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/oschwald/maxminddb-golang/v2"
)

// This file writes small MaxMind DB files for the tests, following the
// MaxMind DB File Format Specification 2.0
// (https://maxmind.github.io/MaxMind-DB/): no .mmdb test file ships in the
// module cache (maxminddb-golang's test-data is a git submodule, left out of
// its module zip) and github.com/maxmind/mmdbwriter is not a dependency. Each
// file written is checked with maxminddb's own Verify.

// mmdbNet is one network of a test database and its record.
type mmdbNet struct {
	prefix string
	data   map[string]any
}

// mmdbSpec describes a test database.
type mmdbSpec struct {
	dbType     string
	epoch      uint64
	recordSize int  // 24, 28 or 32
	ipVersion  int  // 4 or 6
	aliases    bool // alias ::ffff:0:0/96 and 2002::/16 to the IPv4 subtree, as MaxMind's writer does
	nets       []mmdbNet
}

// record is a search tree record while the tree is built.
type record struct {
	kind int // 0 empty, 1 node, 2 data
	v    int // node index or data offset
}

type tree struct {
	nodes [][2]record
	bits  int
}

func (t *tree) newNode() int {
	t.nodes = append(t.nodes, [2]record{})
	return len(t.nodes) - 1
}

func bitAt(a [16]byte, i, offset int) int {
	i += offset
	return int(a[i/8]>>(7-i%8)) & 1
}

// insert sets the record for the first bits bits of key (which starts at
// bit offset of the 16 bytes) to r, splitting data records it passes through.
func (t *tree) insert(key [16]byte, offset, bits int, r record) {
	cur := 0
	for i := 0; i < bits; i++ {
		b := bitAt(key, i, offset)
		if i == bits-1 {
			t.nodes[cur][b] = r
			return
		}
		next := t.nodes[cur][b]
		switch next.kind {
		case 1:
			cur = next.v
			continue
		case 0:
			n := t.newNode()
			t.nodes[cur][b] = record{1, n}
			cur = n
		case 2:
			n := t.newNode()
			t.nodes[n] = [2]record{next, next}
			t.nodes[cur][b] = record{1, n}
			cur = n
		}
	}
}

// nodeAt walks bits zero bits from the root (the IPv4 subtree at ::/96).
func (t *tree) nodeAt(bits int) int {
	cur := 0
	for range bits {
		r := t.nodes[cur][0]
		if r.kind != 1 {
			return -1
		}
		cur = r.v
	}
	return cur
}

func buildMMDB(tb testing.TB, spec mmdbSpec) []byte {
	tb.Helper()
	if spec.recordSize == 0 {
		spec.recordSize = 24
	}
	if spec.ipVersion == 0 {
		spec.ipVersion = 6
	}
	var data bytes.Buffer
	offsets := map[string]int{}
	t := &tree{}
	t.newNode()
	for _, n := range spec.nets {
		p := netip.MustParsePrefix(n.prefix)
		var enc bytes.Buffer
		encodeValue(&enc, n.data)
		off, ok := offsets[enc.String()]
		if !ok {
			off = data.Len()
			offsets[enc.String()] = off
			data.Write(enc.Bytes())
		}
		key := p.Addr().As16()
		offset, bits := 0, p.Bits()
		switch {
		case spec.ipVersion == 4:
			offset = 96 // the tree is 32 bits deep
		case p.Addr().Is4():
			key = [16]byte{}
			a4 := p.Addr().As4()
			copy(key[12:], a4[:])
			bits += 96
		}
		t.insert(key, offset, bits, record{2, off})
	}
	if spec.aliases && spec.ipVersion == 6 {
		v4 := t.nodeAt(96)
		if v4 < 0 {
			tb.Fatal("no IPv4 subtree to alias")
		}
		t.insert(netip.MustParseAddr("::ffff:0:0").As16(), 0, 96, record{1, v4})
		t.insert(netip.MustParseAddr("2002::").As16(), 0, 16, record{1, v4})
	}

	nodeCount := len(t.nodes)
	value := func(r record) uint64 {
		switch r.kind {
		case 1:
			return uint64(r.v)
		case 2:
			return uint64(nodeCount + 16 + r.v)
		}
		return uint64(nodeCount)
	}
	nodes := make([][2]uint64, nodeCount)
	for i, n := range t.nodes {
		nodes[i] = [2]uint64{value(n[0]), value(n[1])}
	}
	out := serializeMMDB(tb, spec, nodes, data.Bytes())
	db, err := maxminddb.OpenBytes(out)
	if err != nil {
		tb.Fatalf("test database does not open: %v", err)
	}
	if err := db.Verify(); err != nil {
		tb.Fatalf("test database does not verify: %v", err)
	}
	return out
}

// serializeMMDB writes a search tree (record values as the file holds
// them), the data section and the metadata.
func serializeMMDB(tb testing.TB, spec mmdbSpec, nodes [][2]uint64, data []byte) []byte {
	tb.Helper()
	var out bytes.Buffer
	for _, n := range nodes {
		l, r := n[0], n[1]
		switch spec.recordSize {
		case 24:
			out.Write([]byte{byte(l >> 16), byte(l >> 8), byte(l), byte(r >> 16), byte(r >> 8), byte(r)})
		case 28:
			out.Write([]byte{byte(l >> 16), byte(l >> 8), byte(l), byte((l>>24)&0xf)<<4 | byte((r>>24)&0xf), byte(r >> 16), byte(r >> 8), byte(r)})
		case 32:
			out.Write(binary.BigEndian.AppendUint32(nil, uint32(l)))
			out.Write(binary.BigEndian.AppendUint32(nil, uint32(r)))
		default:
			tb.Fatalf("record size %d", spec.recordSize)
		}
	}
	out.Write(make([]byte, 16))
	out.Write(data)
	out.Write(mmdbMarker)
	encodeValue(&out, map[string]any{
		"binary_format_major_version": uint16(2),
		"binary_format_minor_version": uint16(0),
		"build_epoch":                 spec.epoch,
		"database_type":               spec.dbType,
		"description":                 map[string]any{"en": "investigator test database"},
		"ip_version":                  uint16(spec.ipVersion),
		"languages":                   []any{"en"},
		"node_count":                  uint32(len(nodes)),
		"record_size":                 uint16(spec.recordSize),
	})
	return out.Bytes()
}

// encodeValue writes v in the MaxMind DB data format.
func encodeValue(b *bytes.Buffer, v any) {
	uint := func(typ int, n uint64, max int) {
		var buf []byte
		for n > 0 {
			buf = append([]byte{byte(n)}, buf...)
			n >>= 8
		}
		if len(buf) > max {
			panic("too big")
		}
		control(b, typ, len(buf))
		b.Write(buf)
	}
	switch v := v.(type) {
	case string:
		control(b, 2, len(v))
		b.WriteString(v)
	case uint16:
		uint(5, uint64(v), 2)
	case uint32:
		uint(6, uint64(v), 4)
	case uint64:
		uint(9, v, 8)
	case int32:
		control(b, 8, 4)
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(v)))
	case map[string]any:
		control(b, 7, len(v))
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			encodeValue(b, k)
			encodeValue(b, v[k])
		}
	case []any:
		control(b, 11, len(v))
		for _, e := range v {
			encodeValue(b, e)
		}
	default:
		panic(fmt.Sprintf("cannot encode %T", v))
	}
}

// control writes a field's control byte (and extended type and size bytes).
func control(b *bytes.Buffer, typ, size int) {
	var (
		sizeBits byte
		extra    []byte
	)
	switch {
	case size < 29:
		sizeBits = byte(size)
	case size < 285:
		sizeBits, extra = 29, []byte{byte(size - 29)}
	case size < 65821:
		sizeBits, extra = 30, binary.BigEndian.AppendUint16(nil, uint16(size-285))
	default:
		s := size - 65821
		sizeBits, extra = 31, []byte{byte(s >> 16), byte(s >> 8), byte(s)}
	}
	if typ <= 7 {
		b.WriteByte(byte(typ)<<5 | sizeBits)
	} else {
		b.WriteByte(sizeBits)
		b.WriteByte(byte(typ - 7))
	}
	b.Write(extra)
}

func asRec(asn uint32, org string) map[string]any {
	return map[string]any{"autonomous_system_number": asn, "autonomous_system_organization": org}
}

func TestMMDBWriter(t *testing.T) {
	for _, rs := range []int{24, 28, 32} {
		data := buildMMDB(t, mmdbSpec{dbType: "GeoLite2-ASN", epoch: 1700000000, recordSize: rs, aliases: true, nets: []mmdbNet{
			{"1.0.0.0/24", asRec(13335, "CLOUDFLARENET")},
			{"2600:1f18::/33", asRec(14618, "AMAZON-AES")},
		}})
		db, err := maxminddb.OpenBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		var rec mmdbRecord
		for addr, want := range map[string]uint32{"1.0.0.7": 13335, "::ffff:1.0.0.7": 13335, "2002:100:7::": 13335, "2600:1f18::1": 14618, "1.0.1.0": 0} {
			rec = mmdbRecord{}
			if err := db.Lookup(netip.MustParseAddr(addr)).Decode(&rec); err != nil || rec.ASN != want {
				t.Errorf("record size %d: %s: %+v %v, want AS%d", rs, addr, rec, err, want)
			}
		}
	}
}
