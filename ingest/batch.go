package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/investigator/investigator/store"
)

// A delivery tree is thousands of small objects (one per interface every
// five or sixty minutes). Read one by one, each pays for its own
// transaction, engine read, address indexing and manifest row, which costs
// far more than its records. Items reads the small objects of one detected
// shape together, in one engine read of many files, and keeps everything
// per object as Item does: one manifest row each, with its own hash or key,
// records, time range and file id. Whatever is not plain (rejected lines, a
// value or address only the line parser judges, a read that fails, another
// shape, a duplicate) is left to Item, object by object, so that it is
// reported exactly as Item reports it.

// Limits of a batch.
const (
	// BatchObjects is the most objects one engine read takes.
	BatchObjects = 500
	// batchBytes bounds the bytes of the objects of one read.
	batchBytes = 256 << 20
	// batchFileMax: a larger file is read alone, with read progress; the
	// per-file costs batching saves are nothing beside its own.
	batchFileMax = 8 << 20
)

// ItemEvents are what Items says as it goes; either may be nil.
type ItemEvents struct {
	// Start: item i is being read, alone or as the first of a batch.
	Start func(i int)
	// Done: what became of item i; called once per item, in item order.
	Done func(i int, r FileResult)
}

// Items ingests items, as Item ingests each, and returns their results in
// order: the same manifest rows, records, rejects and results. Small text
// objects of the same shape are read together, in one transaction per
// batch, so that a batch lands whole or not at all; an object the batch
// cannot take as it is (see above) is then ingested alone. When ctx ends,
// Items stops: a batch in flight rolls back, the items that landed before
// are still reported, and the others have no result (an item being read
// alone is Failed, as Item has it).
func (in *Ingester) Items(ctx context.Context, items []Item, ev ItemEvents) []FileResult {
	out := make([]FileResult, 0, len(items))
	done := func(i int, r FileResult) {
		out = append(out, r)
		if ev.Done != nil {
			ev.Done(i, r)
		}
	}
	// The next window of items is hashed and detected while this one
	// loads; the first is smaller, so that loading starts soon.
	windows := make(chan []*prepared, 1)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(windows)
		for from, size := 0, firstWindow; from < len(items); from, size = from+size, BatchObjects {
			w := in.prepare(wctx, items[from:min(from+size, len(items))], from)
			select {
			case windows <- w:
			case <-wctx.Done():
				return
			}
		}
	}()
	for w := range windows {
		if ctx.Err() != nil {
			break
		}
		in.window(ctx, w, ev.Start, done)
	}
	cancel()
	for range windows {
		// drain: the preparer stops at the cancel
	}
	return out
}

// firstWindow is the size of Items' first window.
const firstWindow = 100

// Prepared is an item hashed and detected ahead of its ingest, by Prepare:
// a source that fetches items concurrently prepares each as it arrives, so
// that the work overlaps with the loading of others.
type Prepared struct{ p *prepared }

// Prepare hashes and detects an item for LoadPrepared. It reads the file
// only; it is safe to call from several goroutines.
func (in *Ingester) Prepare(it Item) Prepared { return Prepared{in.prepareOne(it, 0)} }

// LoadPrepared ingests prepared items as Items does.
func (in *Ingester) LoadPrepared(ctx context.Context, ps []Prepared, ev ItemEvents) []FileResult {
	out := make([]FileResult, 0, len(ps))
	for from := 0; from < len(ps) && ctx.Err() == nil; from += BatchObjects {
		w := make([]*prepared, 0, BatchObjects)
		for j, p := range ps[from:min(from+BatchObjects, len(ps))] {
			c := *p.p
			c.i = from + j
			w = append(w, &c)
		}
		in.window(ctx, w, ev.Start, func(i int, r FileResult) {
			out = append(out, r)
			if ev.Done != nil {
				ev.Done(i, r)
			}
		})
	}
	return out
}

// prepared is an item of a window, hashed and detected.
type prepared struct {
	i      int // its index among the items
	it     Item
	source string // what its result and manifest row name
	det    Detected
	sum    string
	size   int64
	key    string
	// group is the batch it joins ("" for alone), by the engine's read
	// options: the files of one group are read the same way.
	group    string
	res      *FileResult
	reported bool
	// fileID is the id a batch took for it and then left it out: Item
	// loads it under that id, so that file ids follow the items' order.
	fileID int64
}

// prepare hashes and detects a window of items, several at a time.
func (in *Ingester) prepare(ctx context.Context, items []Item, from int) []*prepared {
	w := make([]*prepared, len(items))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 4) {
		wg.Go(func() {
			for j := range jobs {
				w[j] = in.prepareOne(items[j], from+j)
			}
		})
	}
	for j := range items {
		if ctx.Err() != nil {
			break
		}
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	for j, p := range w {
		if p == nil { // interrupted
			w[j] = &prepared{i: from + j, it: items[j]}
		}
	}
	return w
}

// prepareOne decides whether an item can be read in a batch. Anything
// unusual leaves group empty: Item reads the item and reports it.
func (in *Ingester) prepareOne(it Item, i int) *prepared {
	p := &prepared{i: i, it: it, source: it.Source}
	if p.source == "" {
		p.source = it.Path
		if abs, err := filepath.Abs(it.Path); err == nil {
			p.source = abs
		}
	}
	if st, err := os.Stat(it.Path); err != nil || !st.Mode().IsRegular() || st.Size() > batchFileMax {
		return p
	}
	format := it.Fields
	if format == nil {
		format = in.opts.LogFormat
	}
	det, sum, size, err := inspect(it.Path, DetectOptions{LogFormat: format, Lenient: in.opts.Lenient})
	if err != nil || det.lineParser || size > batchFileMax {
		return p
	}
	switch det.Shape {
	case ShapeText, ShapeTextHeader, ShapeExport, ShapeCSVHeader:
	default:
		return p
	}
	p.det, p.sum, p.size = det, sum, size
	p.key = it.Key
	if p.key == "" {
		p.key = "sha256:" + sum
	}
	p.group = newEngineRead(det).options
	return p
}

// window ingests one window of prepared items: each batch when its first
// item comes, the rest alone, reporting in item order.
func (in *Ingester) window(ctx context.Context, w []*prepared, start func(int), done func(int, FileResult)) {
	in.dedupe(ctx, w)
	groups := map[string][]*prepared{}
	first := map[int]string{} // the index of a group's first item → the group
	for _, p := range w {
		if p.group == "" {
			continue
		}
		if _, ok := groups[p.group]; !ok {
			first[p.i] = p.group
		}
		groups[p.group] = append(groups[p.group], p)
	}
	for _, p := range w {
		if ctx.Err() != nil {
			break
		}
		if g, ok := first[p.i]; ok {
			members := groups[g]
			if len(members) > 1 {
				if start != nil {
					start(p.i)
				}
				in.batches(ctx, members)
			}
		}
		if p.res == nil {
			if ctx.Err() != nil {
				break
			}
			if start != nil {
				start(p.i)
			}
			r := in.item(ctx, p.it, p.fileID)
			p.res = &r
		}
		done(p.i, *p.res)
		p.reported = true
	}
	// Interrupted: what landed before (a batch that committed) is still
	// reported.
	for _, p := range w {
		if p.res != nil && !p.reported {
			done(p.i, *p.res)
			p.reported = true
		}
	}
}

// dedupe leaves to Item the items whose key the case has already and those
// whose key an earlier item of the window has: Item reports them as
// duplicates (or loads one, when the first of them did not land).
func (in *Ingester) dedupe(ctx context.Context, w []*prepared) {
	var keys []string
	seen, paths := map[string]bool{}, map[string]bool{}
	for _, p := range w {
		if p.group == "" {
			continue
		}
		if seen[p.key] || paths[p.it.Path] { // a batch tells its files apart by path
			p.group = ""
			continue
		}
		seen[p.key], paths[p.it.Path] = true, true
		keys = append(keys, p.key)
	}
	if len(keys) == 0 {
		return
	}
	known, err := in.seenKeys(ctx, keys)
	for _, p := range w {
		if p.group != "" && (err != nil || known[p.key]) {
			p.group = ""
		}
	}
}

// seenKeys are those of keys that the manifest holds.
func (in *Ingester) seenKeys(ctx context.Context, keys []string) (map[string]bool, error) {
	rows, err := in.c.DB.QueryContext(ctx, `SELECT dedup_key FROM ingest_files WHERE dedup_key IN (SELECT unnest(?::VARCHAR[]))`, listLiteral(keys))
	if err != nil {
		return nil, fmt.Errorf("ingest: manifest: %w", err)
	}
	defer rows.Close()
	known := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("ingest: manifest: %w", err)
		}
		known[k] = true
	}
	return known, rows.Err()
}

// batches reads a group in batches within the limits. A batch that fails
// as a whole is split in two and each half tried again, down to single
// objects, which Item then reads alone.
func (in *Ingester) batches(ctx context.Context, group []*prepared) {
	for len(group) > 0 {
		n, bytes := 0, int64(0)
		for n < len(group) && (n == 0 || bytes+group[n].size <= batchBytes) {
			bytes += group[n].size
			n++
		}
		in.batch(ctx, group[:n])
		group = group[n:]
	}
}

func (in *Ingester) batch(ctx context.Context, b []*prepared) {
	if len(b) < 2 || ctx.Err() != nil {
		return // Item reads it
	}
	err := in.loadBatch(ctx, b)
	if err == nil || ctx.Err() != nil {
		return
	}
	in.opts.logger().Debug("ingest: batch failed, split", "objects", len(b), "err", err)
	for _, p := range b {
		p.res, p.fileID = nil, 0
	}
	in.batch(ctx, b[:len(b)/2])
	in.batch(ctx, b[len(b)/2:])
}

// batchLoad is one batch's transaction.
type batchLoad struct {
	in     *Ingester
	conn   *sql.Conn
	b      []*prepared
	ids    map[int64]*prepared // by file id, the objects still in the batch
	lo, hi int64               // the file ids of the batch
	filter string              // flow_records of the batch
	steps  []any               // how long each step took, for the debug log
	// outside counts each object's records outside --start/--end.
	outside map[int64]int64
}

// loadBatch loads a batch in one transaction: every object of it that
// lands, lands whole with its manifest row. An object the batch cannot take
// as it is (see evict) is left for Item (its result stays nil).
func (in *Ingester) loadBatch(ctx context.Context, b []*prepared) error {
	began := time.Now()
	bl := &batchLoad{in: in, b: b, ids: map[int64]*prepared{}}
	results := map[*prepared]*FileResult{}
	err := in.c.InTx(ctx, func(conn *sql.Conn) error {
		bl.conn, bl.steps = conn, nil
		clear(results)
		clear(bl.ids)
		defer func() {
			for _, t := range []string{"batch_files", "ingest_rejects", "ingest_reject_scans", "new_addresses"} {
				bl.exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp."+t) //nolint:errcheck // temp tables of this connection
			}
		}()
		if err := bl.load(ctx); err != nil {
			return err
		}
		for id, p := range bl.ids {
			results[p] = &FileResult{Path: p.source, Status: Loaded, FileID: id, Compression: p.det.Compression, Shape: p.det.Shape,
				Delimiter: p.det.Delim, Fields: FieldNames(p.det.Fields), Size: p.size, SHA256: p.sum}
			if p.it.Shape != "" {
				results[p].Shape, results[p].OCSFVersion = p.it.Shape, p.it.OCSFVersion
			}
		}
		t := time.Now()
		if err := bl.counts(ctx, results); err != nil {
			return err
		}
		bl.step("counts", &t)
		err := bl.manifest(ctx, results, time.Since(began))
		bl.step("manifest", &t)
		return err
	})
	if err != nil {
		return err
	}
	var bytes int64
	for p := range results {
		bytes += p.size
	}
	took := time.Since(began)
	for p, r := range results {
		r.Duration = time.Duration(float64(took) * float64(p.size) / float64(max(bytes, 1)))
		p.res = r
	}
	in.opts.logger().Debug("ingest: batch loaded", append([]any{"objects", len(b), "landed", len(results), "took", took}, bl.steps...)...)
	return nil
}

// step records how long the step just done took since the last.
func (bl *batchLoad) step(name string, since *time.Time) {
	bl.steps = append(bl.steps, name, time.Since(*since).Round(time.Millisecond))
	*since = time.Now()
}

func (bl *batchLoad) exec(ctx context.Context, q string, args ...any) (int64, error) {
	r, err := bl.conn.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func (bl *batchLoad) load(ctx context.Context) error {
	t := time.Now()
	// File ids first: the records are inserted with them, the manifest rows
	// once the records are counted.
	rows, err := bl.conn.QueryContext(ctx, `SELECT nextval('file_id_seq') FROM range(?)`, len(bl.b))
	if err != nil {
		return fmt.Errorf("ingest: file ids: %w", err)
	}
	var values []string
	for j := 0; rows.Next(); j++ {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("ingest: file ids: %w", err)
		}
		p := bl.b[j]
		bl.ids[id] = p
		if j == 0 || id < bl.lo {
			bl.lo = id
		}
		bl.hi = max(bl.hi, id)
		values = append(values, fmt.Sprintf("(%d, %s)", id, store.QuoteString(p.it.Path)))
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(bl.ids) != len(bl.b) {
		return fmt.Errorf("ingest: file ids: %d of %d: %v", len(bl.ids), len(bl.b), err)
	}
	// The range prunes the table by its zone maps; the join keeps it to the
	// batch should another ingest have taken ids in it.
	bl.filter = fmt.Sprintf("file_id BETWEEN %d AND %d AND file_id IN (SELECT batch_file_id FROM temp.batch_files)", bl.lo, bl.hi)
	for _, q := range []string{
		`DROP TABLE IF EXISTS temp.ingest_rejects`, `DROP TABLE IF EXISTS temp.ingest_reject_scans`,
		`CREATE OR REPLACE TEMP TABLE batch_files (batch_file_id INTEGER, batch_path VARCHAR)`,
		`INSERT INTO batch_files VALUES ` + strings.Join(values, ", "),
	} {
		if _, err := bl.exec(ctx, q); err != nil {
			return fmt.Errorf("ingest: batch: %w", err)
		}
	}

	paths := make([]string, len(bl.b))
	for j, p := range bl.b {
		paths[j] = store.QuoteString(p.it.Path)
	}
	r := newEngineRead(bl.b[0].det)
	q := fmt.Sprintf(`INSERT INTO flow_records (%s, file_id)
		SELECT %s, b.batch_file_id FROM read_csv([%s], %s, filename = true) r JOIN temp.batch_files b ON r.filename = b.batch_path`,
		store.QuoteIdents(r.ins), strings.Join(r.sel, ", "), strings.Join(paths, ", "), r.options)
	if _, err := bl.exec(ctx, q); err != nil {
		return fmt.Errorf("ingest: load %d files: %w", len(bl.b), err)
	}
	bl.step("read", &t)

	// Objects with a rejected line, or with a value only the line parser
	// judges, are read alone: their rejects have the reasons and line
	// numbers Item gives them.
	rejected, err := bl.strings(ctx, `SELECT DISTINCT s.file_path FROM ingest_rejects r JOIN ingest_reject_scans s USING (scan_id, file_id)`)
	if err != nil {
		return fmt.Errorf("ingest: read rejects: %w", err)
	}
	byPath := map[string]int64{}
	for id, p := range bl.ids {
		byPath[p.it.Path] = id
	}
	var out []int64
	for _, path := range rejected {
		id, ok := byPath[path]
		if !ok {
			return fmt.Errorf("ingest: rejects of %s, which is not in the batch", path)
		}
		out = append(out, id)
	}
	if cols, matches := controlColumns(bl.b[0].det.Fields); len(cols) > 0 {
		ids, err := bl.ints(ctx, fmt.Sprintf(`SELECT DISTINCT file_id FROM (SELECT DISTINCT file_id, %s FROM flow_records WHERE %s) WHERE %s`,
			strings.Join(cols, ", "), bl.filter, strings.Join(matches, " OR ")))
		if err != nil {
			return fmt.Errorf("ingest: check values: %w", err)
		}
		out = append(out, ids...)
	}
	if err := bl.evict(ctx, out); err != nil {
		return err
	}
	bl.step("checks", &t)
	if err := bl.window(ctx); err != nil {
		return err
	}
	err = bl.addresses(ctx)
	bl.step("addresses", &t)
	return err
}

// evict takes objects out of the batch: their records go, and Item reads
// them alone.
func (bl *batchLoad) evict(ctx context.Context, ids []int64) error {
	var list []string
	for _, id := range ids {
		if p, ok := bl.ids[id]; ok {
			p.fileID = id
			delete(bl.ids, id)
			list = append(list, fmt.Sprint(id))
		}
	}
	if len(list) == 0 {
		return nil
	}
	in := strings.Join(list, ", ")
	for _, q := range []string{
		fmt.Sprintf(`DELETE FROM flow_records WHERE file_id BETWEEN %d AND %d AND file_id IN (%s)`, bl.lo, bl.hi, in),
		fmt.Sprintf(`DELETE FROM temp.batch_files WHERE batch_file_id IN (%s)`, in),
	} {
		if _, err := bl.exec(ctx, q); err != nil {
			return fmt.Errorf("ingest: batch: %w", err)
		}
	}
	bl.in.opts.logger().Debug("ingest: read alone", "objects", len(list))
	return nil
}

// window removes the batch's records outside --start/--end, counting them
// per object.
func (bl *batchLoad) window(ctx context.Context) error {
	lo, hi, ok := bl.in.opts.window()
	if !ok {
		return nil
	}
	outside := `(start IS NULL OR start < $1 OR start > $2)`
	rows, err := bl.conn.QueryContext(ctx, `SELECT file_id, count(*) FROM flow_records WHERE `+bl.filter+` AND `+outside+` GROUP BY file_id`, lo, hi)
	if err != nil {
		return fmt.Errorf("ingest: time window: %w", err)
	}
	bl.outside = map[int64]int64{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return fmt.Errorf("ingest: time window: %w", err)
		}
		bl.outside[id] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ingest: time window: %w", err)
	}
	if len(bl.outside) == 0 {
		return nil
	}
	if _, err := bl.exec(ctx, `DELETE FROM flow_records WHERE `+bl.filter+` AND `+outside, lo, hi); err != nil {
		return fmt.Errorf("ingest: time window: %w", err)
	}
	return nil
}

// addresses indexes the batch's new addresses, as indexAddresses does a
// file's. An object with an address that is not an IP is read alone.
func (bl *batchLoad) addresses(ctx context.Context) error {
	for {
		steps := []string{
			`DROP TABLE IF EXISTS temp.new_addresses`,
			`CREATE TEMP TABLE new_addresses AS SELECT DISTINCT a FROM (
				SELECT srcaddr AS a FROM flow_records WHERE ` + bl.filter + `
				UNION ALL SELECT dstaddr FROM flow_records WHERE ` + bl.filter + `
				UNION ALL SELECT pkt_srcaddr FROM flow_records WHERE ` + bl.filter + `
				UNION ALL SELECT pkt_dstaddr FROM flow_records WHERE ` + bl.filter + `
			) WHERE a IS NOT NULL AND a NOT IN (SELECT addr FROM addresses)`,
		}
		for _, q := range steps {
			if _, err := bl.exec(ctx, q); err != nil {
				return fmt.Errorf("ingest: addresses: %w", err)
			}
		}
		other, err := bl.strings(ctx, `SELECT a FROM new_addresses WHERE NOT regexp_full_match(a, '`+ipv4Octet+`(\.`+ipv4Octet+`){3}')`)
		if err != nil {
			return fmt.Errorf("ingest: addresses: %w", err)
		}
		var values, bad []string
		for _, s := range other {
			a, err := netip.ParseAddr(s)
			if err != nil || a.Zone() != "" {
				bad = append(bad, store.QuoteString(s))
				continue
			}
			a = a.Unmap()
			values = append(values, fmt.Sprintf("(%s, %d, %s::UHUGEINT)", store.QuoteString(s), store.Family(a), store.AddrNum(a)))
		}
		if len(bad) > 0 {
			list := strings.Join(bad, ", ")
			ids, err := bl.ints(ctx, fmt.Sprintf(`SELECT DISTINCT file_id FROM flow_records WHERE %s
				AND (srcaddr IN (%s) OR dstaddr IN (%s) OR pkt_srcaddr IN (%s) OR pkt_dstaddr IN (%s))`, bl.filter, list, list, list, list))
			if err != nil {
				return fmt.Errorf("ingest: addresses: %w", err)
			}
			if err := bl.evict(ctx, ids); err != nil {
				return err
			}
			continue // the batch's addresses again, without those objects'
		}
		if _, err := bl.exec(ctx, `INSERT INTO addresses (addr, family, num)
			SELECT a, 4, 281470681743360::UHUGEINT
				+ (split_part(a, '.', 1)::UHUGEINT << 24) + (split_part(a, '.', 2)::UHUGEINT << 16)
				+ (split_part(a, '.', 3)::UHUGEINT << 8) + split_part(a, '.', 4)::UHUGEINT
			FROM new_addresses WHERE regexp_full_match(a, '`+ipv4Octet+`(\.`+ipv4Octet+`){3}')`); err != nil {
			return fmt.Errorf("ingest: addresses: %w", err)
		}
		for len(values) > 0 {
			n := min(len(values), 1000)
			if _, err := bl.exec(ctx, `INSERT INTO addresses (addr, family, num) VALUES `+strings.Join(values[:n], ", ")); err != nil {
				return fmt.Errorf("ingest: addresses: %w", err)
			}
			values = values[n:]
		}
		return nil
	}
}

// counts fills in what landed of each object, as finishManifest does.
func (bl *batchLoad) counts(ctx context.Context, results map[*prepared]*FileResult) error {
	rows, err := bl.conn.QueryContext(ctx, `SELECT file_id, count(*), count(*) FILTER (log_status = 'NODATA'), count(*) FILTER (log_status = 'SKIPDATA'),
			min(start), max("end") FROM flow_records WHERE `+bl.filter+` GROUP BY file_id`)
	if err != nil {
		return fmt.Errorf("ingest: count: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n, nodata, skipdata int64
		var first, last sql.NullTime
		if err := rows.Scan(&id, &n, &nodata, &skipdata, &first, &last); err != nil {
			return fmt.Errorf("ingest: count: %w", err)
		}
		p, ok := bl.ids[id]
		if !ok {
			continue
		}
		r := results[p]
		r.Records, r.NoData, r.SkipData = n, nodata, skipdata
		if first.Valid {
			t := first.Time.UTC()
			r.First = &t
		}
		if last.Valid {
			t := last.Time.UTC()
			r.Last = &t
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ingest: count: %w", err)
	}
	for id, p := range bl.ids {
		results[p].OutsideWindow = bl.outside[id]
	}
	return nil
}

// manifest writes the manifest rows of the objects that landed, in one
// statement. Each object's load_ms is its share (by bytes) of the batch's.
func (bl *batchLoad) manifest(ctx context.Context, results map[*prepared]*FileResult, took time.Duration) error {
	if len(results) == 0 {
		return nil
	}
	var bytes int64
	for p := range results {
		bytes += p.size
	}
	// An appender: a VALUES list of 500 rows costs more to bind than the
	// rest of the batch's manifest.
	cols := []string{"id", "ingest_id", "source", "dedup_key", "size", "sha256", "compression", "shape", "delimiter", "ocsf_version",
		"records", "rejected", "outside_window", "nodata", "skipdata", "load_ms", "fields", "first_start", "last_end"}
	str := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	ts := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.UTC()
	}
	err := store.WithAppender(bl.conn, "ingest_files", cols, func(a *duckdb.Appender) error {
		for p, r := range results {
			ms := int64(float64(took.Milliseconds()) * float64(p.size) / float64(max(bytes, 1)))
			if err := a.AppendRow(int32(r.FileID), int32(bl.in.ingestID), p.source, p.key, p.size, str(p.sum), p.det.Compression, string(r.Shape),
				str(p.det.Delim), str(r.OCSFVersion), r.Records, r.Rejected, r.OutsideWindow, r.NoData, r.SkipData, ms, r.Fields,
				ts(r.First), ts(r.Last)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ingest: manifest: %w", err)
	}
	return nil
}

func (bl *batchLoad) strings(ctx context.Context, q string) ([]string, error) {
	rows, err := bl.conn.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (bl *batchLoad) ints(ctx context.Context, q string) ([]int64, error) {
	rows, err := bl.conn.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
