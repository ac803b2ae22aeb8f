package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestConversationsBuilt: the conversations and their totals are the same
// whether the hours are paired all at once or a few at a time, and whether
// a later file's hours are recomputed alone or the case is rebuilt.
func TestConversationsBuilt(t *testing.T) {
	ctx := context.Background()
	c, err := Create(ctx, filepath.Join(t.TempDir(), "c.duckdb"), "c", "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A first file: five hours of a client's requests to three servers and
	// their answers, more in some hours than in others.
	addRequests(t, c, 1, 0, 40)
	build := func(after, chunk int64, keep bool) []string {
		t.Helper()
		return buildConversations(t, c, after, chunk, keep)
	}
	all := build(-1, 1_000_000, false)
	if len(all) != 5*3+3 {
		t.Fatalf("%d rows, want 15 of 3 servers in 5 hours and their 3 totals:\n%s", len(all), all)
	}
	for _, chunk := range []int64{1, 10, 20, 33} {
		if got := build(-1, chunk, false); !slices.Equal(got, all) {
			t.Errorf("in chunks of %d records:\n%s\nat once:\n%s", chunk, got, all)
		}
	}

	tx, err := c.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var first, last time.Time
	if err := tx.QueryRowContext(ctx, `SELECT date_trunc('hour', min(start)), date_trunc('hour', max(start)) FROM case_flows`).Scan(&first, &last); err != nil {
		t.Fatal(err)
	}
	chunkRecords = 20
	chunks, err := hourChunks(ctx, tx, first, last)
	chunkRecords = 1_000_000
	tx.Rollback() //nolint:errcheck // read only
	if err != nil || len(chunks) != 5 || chunks[0][0] != first || chunks[4][1] != last {
		t.Fatalf("chunks of 20 records over five hours of 10 to 18: %v, %v", chunks, err)
	}

	// A second file: a new client of the first server in the second hour
	// and after, into a sixth.
	build(-1, 1_000_000, true)
	_, err = c.DB.ExecContext(ctx, `INSERT INTO case_flows (start, "end", srcport, dstport, protocol, action, packets, bytes, src_ip, dst_ip, direction, file_id)
		SELECT TIMESTAMP '2026-11-20 01:10:00' + to_minutes(i * 70), TIMESTAMP '2026-11-20 01:10:59' + to_minutes(i * 70),
			50000 + i, 443, 6, 'ACCEPT', 3, 300, '203.0.113.5', '10.0.1.10', 'inbound', 2
		FROM range(5) r(i)`)
	if err != nil {
		t.Fatal(err)
	}
	full, extended := build(-1, 1_000_000, false), build(1, 7, false)
	if !slices.Equal(extended, full) {
		t.Errorf("extended by the second file:\n%s\nrebuilt:\n%s", extended, full)
	}
	if len(full) != len(all)+5+1 {
		t.Errorf("%d rows after the second file, want %d: five hours and a total more", len(full), len(all)+6)
	}
}

// TestConversationTotalsKeptOnceWorth: a case whose first file holds one
// hour (every conversation an hour long) keeps no totals; once later files
// make its conversations last longer, it does, as a rebuild would.
func TestConversationTotalsKeptOnceWorth(t *testing.T) {
	c, err := Create(context.Background(), filepath.Join(t.TempDir(), "c.duckdb"), "c", "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addRequests(t, c, 1, 0, 8) // the first hour
	if got := buildConversations(t, c, -1, 1_000_000, true); slices.ContainsFunc(got, func(r string) bool { return r[0] == 't' }) {
		t.Fatalf("totals kept for conversations of one hour each:\n%s", got)
	}
	addRequests(t, c, 2, 9, 40) // four hours more
	full, extended := buildConversations(t, c, -1, 1_000_000, false), buildConversations(t, c, 1, 1_000_000, false)
	if !slices.Equal(extended, full) {
		t.Errorf("extended by the second file:\n%s\nrebuilt:\n%s", extended, full)
	}
	if !slices.ContainsFunc(extended, func(r string) bool { return r[0] == 't' }) {
		t.Errorf("no totals kept after the second file:\n%s", extended)
	}
}

// addRequests adds to case_flows, as file, requests from 10.0.1.10 to three
// servers every seven minutes (the from-th to the to-th), and their answers.
func addRequests(t *testing.T, c *Case, file, from, to int) {
	t.Helper()
	_, err := c.DB.ExecContext(context.Background(), `INSERT INTO case_flows (start, "end", srcport, dstport, protocol, action, packets, bytes, src_ip, dst_ip, direction, file_id)
		SELECT TIMESTAMP '2026-11-20 00:00:00' + to_minutes(i * 7), TIMESTAMP '2026-11-20 00:00:59' + to_minutes(i * 7),
			CASE WHEN answer THEN 443 ELSE 40000 + i END, CASE WHEN answer THEN 40000 + i ELSE 443 END, 6, 'ACCEPT', 2, 100,
			CASE WHEN answer THEN '198.51.100.' || (i % 3) ELSE '10.0.1.10' END, CASE WHEN answer THEN '10.0.1.10' ELSE '198.51.100.' || (i % 3) END,
			CASE WHEN answer THEN 'inbound' ELSE 'outbound' END, $1
		FROM range($2, $3) r(i), (VALUES (false), (true)) a(answer)`, file, from, to)
	if err != nil {
		t.Fatal(err)
	}
}

// buildConversations adds the records of the files after after to the
// conversation tables, in chunks of about chunk records, and returns what
// they then hold ("h …" the hours, "t …" the totals), sorted; the tables
// are left as they were unless keep.
func buildConversations(t *testing.T, c *Case, after, chunk int64, keep bool) []string {
	t.Helper()
	ctx := context.Background()
	defer func(n int64) { chunkRecords = n }(chunkRecords)
	chunkRecords = chunk
	tx, err := c.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	if err := addConversations(ctx, tx, after); err != nil {
		t.Fatal(err)
	}
	out := texts(t, tx, `SELECT 'h ' || to_json(c)::VARCHAR FROM case_conversations c UNION ALL SELECT 't ' || to_json(t)::VARCHAR FROM case_conversation_totals t`)
	if keep {
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(out)
	return out
}

// TestFlowHours: the rolled-up flows of a window are those of its records,
// whether the window holds whole hours (read from case_flow_hours, whose
// rows of one hour may come from several files), cuts hours, lies within
// one, or is open at either end; the client's port is left out. The same
// of the interfaces' minutes and of the connections' half hours.
func TestFlowHours(t *testing.T) {
	ctx := context.Background()
	c, err := Create(ctx, filepath.Join(t.TempDir(), "c.duckdb"), "c", "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Three files, as three ingests add them: the third hour is in the
	// first two. Each adds a row of the totals for the same six peers,
	// ports and directions: the third makes them more than twice what they
	// need, and they are regrouped.
	for file, to := range []int{20, 30, 40} {
		addRequests(t, c, file+1, []int{0, 20, 30}[file], to)
		tx, err := c.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := addFlowHours(ctx, tx, int64(file)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := c.DB.QueryRowContext(ctx, `SELECT count(*) FROM case_flow_totals`).Scan(&n); err != nil || n != []int{6, 12, 6}[file] {
			t.Fatalf("after file %d the totals hold %d rows, want %d; %v", file+1, n, []int{6, 12, 6}[file], err)
		}
	}
	// And every record per minute of its interface and per half hour of its
	// connection's halves, in two files too: a record every 20 seconds on
	// two interfaces, NODATA on one; SSH requests from 10.0.0.1 to thirty
	// hosts and their answers, with TCP flags and rejects.
	for file := range 2 {
		_, err := c.DB.ExecContext(ctx, `INSERT INTO flow_records (interface_id, srcaddr, dstaddr, srcport, dstport, protocol, tcp_flags, action,
				start, "end", packets, bytes, log_status, file_id)
			SELECT 'eni-' || (i % 2),
				CASE WHEN i % 2 = 0 THEN '10.0.0.1' ELSE '10.0.1.' || (i % 30) END, CASE WHEN i % 2 = 0 THEN '10.0.1.' || (i % 30) ELSE '10.0.0.1' END,
				CASE WHEN i % 2 = 0 THEN 40000 + i ELSE 22 END, CASE WHEN i % 2 = 0 THEN 22 ELSE 40000 + i END, 6,
				[2, 18, 4, 3, 1][i % 5 + 1], CASE WHEN i % 7 = 0 THEN 'REJECT' ELSE 'ACCEPT' END,
				TIMESTAMP '2026-11-20 00:00:00' + to_seconds(i * 20), TIMESTAMP '2026-11-20 00:00:00' + to_seconds(i * 20 + 50),
				CASE WHEN i % 2 = 0 THEN 1 END, 40, CASE WHEN i % 2 = 0 THEN 'OK' ELSE 'NODATA' END, $1
			FROM range($2, $3) r(i)`, file+1, file*300, file*300+300)
		if err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"case_interface_minutes SELECT * FROM interface_minutes_of", "case_service_halves SELECT * FROM service_halves_of"} {
			if _, err := c.DB.ExecContext(ctx, `INSERT INTO `+table+`($1, '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP)`, file); err != nil {
				t.Fatal(err)
			}
		}
	}
	query := func(q string) []string { return texts(t, c.DB, q) }
	rolled := func(from string) []string {
		return query(`SELECT to_json(g)::VARCHAR FROM (
			SELECT src_ip, srcport, dst_ip, dstport, direction, sum(flows) AS flows, sum(packets) AS packets, sum(bytes) AS bytes,
				min(first_seen) AS first_seen, max(last_seen) AS last_seen
			FROM ` + from + ` GROUP BY ALL ORDER BY ALL) g`)
	}
	minutes := func(from string) []string {
		return query(`SELECT to_json(g)::VARCHAR FROM (
			SELECT interface_id, minute, min(first_start) AS first_start, max(last_end) AS last_end, sum(flows) AS flows,
				sum(packets) AS packets, sum(bytes) AS bytes, sum(nodata) AS nodata, sum(skipdata) AS skipdata
			FROM ` + from + ` GROUP BY ALL ORDER BY ALL) g`)
	}
	halves := func(from string) []string {
		return query(`SELECT to_json(g)::VARCHAR FROM (
			SELECT half_hour, src_ip, dst_ip, half, port, protocol, action, sum(flows) AS flows, sum(syn_only) AS syn_only, sum(fins) AS fins,
				sum(not_reset) AS not_reset, sum(packets) AS packets, sum(bytes) AS bytes, min(first_seen) AS first_seen, max(last_seen) AS last_seen
			FROM ` + from + ` GROUP BY ALL ORDER BY ALL) g`)
	}
	if got := rolled(`flow_hours(NULL, NULL)`); len(got) != 6 {
		t.Fatalf("the whole case: %d rows, want requests to and answers from three servers, ports 443 and none:\n%s", len(got), got)
	}
	windows := [][2]string{
		{"NULL", "NULL"},
		{"TIMESTAMP '2026-11-20 01:00:00'", "NULL"},
		{"TIMESTAMP '2026-11-20 01:20:00'", "NULL"},
		{"NULL", "TIMESTAMP '2026-11-20 02:59:59.999999'"},
		{"NULL", "TIMESTAMP '2026-11-20 02:30:00'"},
		{"TIMESTAMP '2026-11-20 00:30:00'", "TIMESTAMP '2026-11-20 03:10:00'"},
		{"TIMESTAMP '2026-11-20 02:10:00'", "TIMESTAMP '2026-11-20 02:40:00'"},
		{"TIMESTAMP '2026-11-20 02:00:00'", "TIMESTAMP '2026-11-20 03:00:00'"},
		{"TIMESTAMP '2026-11-20 09:00:00'", "NULL"},
		{"TIMESTAMP '2026-11-20 01:30:30'", "TIMESTAMP '2026-11-20 01:30:50'"},
		{"TIMESTAMP '2026-11-20 02:10:10'", "TIMESTAMP '2026-11-20 02:59:40'"},
	}
	// Kept, then not kept (every window read from the records): the same.
	for _, kept := range []bool{true, false} {
		_, err := c.DB.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE MACRO flow_hours_kept() AS %t; CREATE OR REPLACE MACRO service_halves_kept() AS %[1]t`, kept))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range windows {
			lo, hi := w[0], w[1]
			if lo == "NULL" {
				lo = "'-infinity'::TIMESTAMP"
			}
			if hi == "NULL" {
				hi = "'infinity'::TIMESTAMP"
			}
			want := rolled(`flow_hours_of(-1, ` + lo + `, ` + hi + `)`)
			if got := rolled(`flow_hours(` + w[0] + `, ` + w[1] + `)`); !slices.Equal(got, want) {
				t.Errorf("window %v (kept %v):\n%s\nwant (from the records)\n%s", w, kept, got, want)
			}
			if got := rolled(`flow_totals(` + w[0] + `, ` + w[1] + `)`); !slices.Equal(got, want) {
				t.Errorf("totals of window %v (kept %v):\n%s\nwant (from the records)\n%s", w, kept, got, want)
			}
			want = halves(`service_halves_of(-1, ` + lo + `, ` + hi + `)`)
			if got := halves(`service_halves(` + w[0] + `, ` + w[1] + `)`); !slices.Equal(got, want) || len(want) == 0 && w[0] != "TIMESTAMP '2026-11-20 09:00:00'" {
				t.Errorf("halves of window %v (kept %v): %d rows\n%s\nwant (from the records)\n%s", w, kept, len(got), got, want)
			}
			want = minutes(`interface_minutes_of(-1, ` + lo + `, ` + hi + `)`)
			if got := minutes(`interface_minutes(` + w[0] + `, ` + w[1] + `)`); !slices.Equal(got, want) || len(want) == 0 && w[0] != "TIMESTAMP '2026-11-20 09:00:00'" {
				t.Errorf("minutes of window %v: %d rows\n%s\nwant (from the records)\n%s", w, len(got), got, want)
			}
		}
	}
}

// TestRollupsKeptOnceWorth: a case whose records do not roll up (each its
// own peer) keeps no rolled-up flows, and the macros read the records;
// once later files make the case's records roll up, it keeps them, as a
// full build would.
func TestRollupsKeptOnceWorth(t *testing.T) {
	ctx := context.Background()
	c, err := Create(ctx, filepath.Join(t.TempDir(), "c.duckdb"), "c", "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.DB.ExecContext(ctx, `INSERT INTO case_flows (start, "end", srcport, dstport, protocol, action, packets, bytes, src_ip, dst_ip, direction, file_id)
		SELECT TIMESTAMP '2026-11-20 00:00:00' + to_seconds(i), TIMESTAMP '2026-11-20 00:00:59' + to_seconds(i), 40000, 443, 6, 'ACCEPT', 1, 60,
			'10.0.1.10', '198.51.' || (i // 250) || '.' || (i % 250), 'outbound', 1
		FROM range(100) r(i)`)
	if err != nil {
		t.Fatal(err)
	}
	state := func(after int64) (bool, int) {
		t.Helper()
		tx, err := c.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := flowHours.build(ctx, tx, after); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		var kept bool
		var rows int
		if err := c.DB.QueryRowContext(ctx, `SELECT flow_hours_kept(), (SELECT count(*) FROM case_flow_hours)`).Scan(&kept, &rows); err != nil {
			t.Fatal(err)
		}
		return kept, rows
	}
	if kept, rows := state(-1); kept || rows != 0 {
		t.Fatalf("100 records of 100 peers: kept %v, %d rows", kept, rows)
	}
	var flows int
	if err := c.DB.QueryRowContext(ctx, `SELECT sum(flows) FROM flow_totals(NULL, NULL)`).Scan(&flows); err != nil || flows != 100 {
		t.Fatalf("not kept, the totals read from the records: %d flows, %v", flows, err)
	}
	// A second file of the same few peers, again and again: still not
	// worth it over the case; a third makes it.
	addRequests(t, c, 2, 0, 20)
	if kept, _ := state(1); kept {
		t.Fatal("kept after 40 records of 3 peers beside 100 of 100")
	}
	addRequests(t, c, 3, 20, 400)
	kept, rows := state(2)
	if !kept || rows == 0 {
		t.Fatalf("after 760 more records of 3 peers: kept %v, %d rows", kept, rows)
	}
	extended := snapshotRollup(t, c)
	if _, err := c.DB.ExecContext(ctx, `DELETE FROM case_flow_hours`); err != nil {
		t.Fatal(err)
	}
	state(-1)
	if full := snapshotRollup(t, c); !slices.Equal(extended, full) {
		t.Errorf("kept once worth:\n%s\nbuilt in full:\n%s", extended, full)
	}
}

// snapshotRollup is the rolled-up flows of the case, each table summed by
// its key, as sorted text.
func snapshotRollup(t *testing.T, c *Case) []string {
	t.Helper()
	out := texts(t, c.DB, `
		SELECT 'h ' || to_json(h)::VARCHAR FROM (SELECT * EXCLUDE (flows, bytes), sum(flows), sum(bytes) FROM case_flow_hours GROUP BY ALL) h
		UNION ALL SELECT 't ' || to_json(h)::VARCHAR FROM (SELECT * EXCLUDE (flows, bytes), sum(flows), sum(bytes) FROM case_flow_totals GROUP BY ALL) h`)
	slices.Sort(out)
	return out
}

// texts is the one text column of the rows of query q on db (the case or a
// transaction), in their order.
func texts(t *testing.T, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
