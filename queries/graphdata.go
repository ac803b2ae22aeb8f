package queries

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/investigator/investigator/store"
)

// GraphOf builds the connection graph of the conversations of the window
// under the filter. A window of a 5M-record case holds some 90,000
// conversations with 55,000 peers, of which the graph shows sixty: the
// case folds the peers that cannot get a node of their own (neither
// flagged, of the focus, nor among the filter's number of heaviest by
// bytes or by records) into their groups, and only the others' rows come
// out, so the graph costs what the conversations cost in the case.
func GraphOf(ctx context.Context, c *store.Case, start, end *time.Time, f GraphFilter) (Graph, error) {
	if err := f.check(); err != nil {
		return Graph{}, err
	}
	flags, err := Flags(ctx, c)
	if err != nil {
		return Graph{}, err
	}
	d, err := graphData(ctx, c, start, end, f, slices.Sorted(maps.Keys(flags)))
	if err != nil {
		return Graph{}, err
	}
	return BuildGraph(d, flags, f)
}

// graphSQL reads the window's conversations under the filter (the inner
// query: the conversations analysis, unsorted) as rows of two kinds: the
// conversations of the peers that may get a node of their own (no grp),
// and the others folded by group and local address, as BuildGraph folds
// them.
const graphSQL = `WITH cv AS MATERIALIZED (
	SELECT *,
		CASE WHEN direction = 'inbound' THEN client ELSE server END AS peer,
		coalesce(CASE WHEN direction = 'inbound' THEN client_scope ELSE server_scope END, '') AS peer_scope
	FROM (%s)
	WHERE ($g_direction IS NULL OR direction = $g_direction)
),
kept AS MATERIALIZED (SELECT * FROM cv WHERE $g_scope IS NULL OR peer_scope = $g_scope),
p AS (
	-- The peers, with their weight, and the direction they moved the most
	-- bytes in (then records, then the name): the group they fold into.
	SELECT peer, scope, first(direction ORDER BY bytes DESC, flows DESC, direction) AS first_dir,
		sum(bytes) AS peer_bytes, sum(flows) AS peer_flows
	FROM (SELECT peer, peer_scope AS scope, direction, sum(bytes) AS bytes, sum(flows) AS flows FROM kept GROUP BY ALL)
	GROUP BY peer, scope
	HAVING CASE WHEN $g_weight = 'records' THEN sum(flows) ELSE sum(bytes) END >= $g_min
),
r AS MATERIALIZED (
	-- Whether a peer may get a node of its own: BuildGraph ranks the
	-- flagged ones and then the heaviest by bytes and by records in turn,
	-- never past the limit in either order (ties kept).
	SELECT *, coalesce(scope = 'focus' OR list_contains(string_split($g_flagged, ','), peer)
		OR rank() OVER (ORDER BY peer_bytes DESC) <= $g_limit OR rank() OVER (ORDER BY peer_flows DESC) <= $g_limit, false) AS own
	FROM p
),
folded AS (
	SELECT k.*, 'others:' || r.first_dir || ':' || r.scope AS grp, r.first_dir, r.scope AS grp_scope,
		k.peer = k.client AS peer_is_client,
		CASE WHEN k.peer = k.client THEN k.server ELSE k.client END AS local,
		CASE WHEN k.peer = k.client THEN k.server_scope ELSE k.client_scope END AS local_scope,
		CASE WHEN k.server_port IS NULL THEN lower(k.protocol) ELSE k.server_port || '/' || lower(k.protocol) END AS svc
	FROM kept k JOIN r USING (peer)
	WHERE NOT r.own
),
by_service AS (
	SELECT grp, first_dir, grp_scope, local, local_scope, peer_is_client, svc,
		count(*) AS conversations, sum(sessions) AS sessions, sum(flows) AS flows, sum(bytes) AS bytes,
		sum(accepted) AS accepted, sum(rejected) AS rejected,
		min(server_port) AS port, count(server_port) AS ported, min(protocol_number) AS protocol_number,
		min(first_seen) AS first_seen, max(last_seen) AS last_seen
	FROM folded
	GROUP BY ALL
),
tail AS (
	SELECT grp, first_dir, grp_scope, local, local_scope, peer_is_client,
		sum(conversations)::BIGINT AS conversations, sum(sessions)::BIGINT AS sessions, sum(flows)::BIGINT AS flows, sum(bytes)::BIGINT AS bytes,
		sum(accepted)::BIGINT AS accepted, sum(rejected)::BIGINT AS rejected,
		CASE WHEN count(DISTINCT port) = 1 AND sum(ported) = sum(conversations) THEN min(port) END AS port,
		CASE WHEN count(DISTINCT protocol_number) = 1 THEN min(protocol_number) ELSE -1 END AS protocol_number,
		string_agg(svc, ' ' ORDER BY svc) AS services, string_agg(bytes::VARCHAR, ' ' ORDER BY svc) AS service_bytes,
		min(first_seen) AS first_seen, max(last_seen) AS last_seen
	FROM by_service
	GROUP BY ALL
),
groups AS (
	SELECT 'others:' || first_dir || ':' || scope AS grp, count(*) AS peers FROM r WHERE NOT own GROUP BY ALL
)
SELECT ` + conversationCols + `,
	'' AS grp, '' AS grp_scope, 0 AS group_peers, false AS peer_is_client, 1 AS conversations, '' AS services, '' AS service_bytes
FROM kept k JOIN r USING (peer)
WHERE r.own
UNION ALL
SELECT CASE WHEN peer_is_client THEN '' ELSE local END, CASE WHEN peer_is_client THEN local ELSE '' END,
	port, '', protocol_number, '', first_dir,
	sessions, flows, bytes, 0, 0, 0, 0, accepted, rejected, first_seen, last_seen,
	CASE WHEN peer_is_client THEN '' ELSE coalesce(local_scope, '') END, CASE WHEN peer_is_client THEN coalesce(local_scope, '') ELSE '' END,
	'', '', '', '', '',
	grp, grp_scope, groups.peers, peer_is_client, conversations, services, service_bytes
FROM tail JOIN groups USING (grp)`

// graphData reads the graph's conversations and folded peers from the case.
func graphData(ctx context.Context, c *store.Case, start, end *time.Time, f GraphFilter, flagged []string) (GraphData, error) {
	var d GraphData
	inner, args, err := conversationQuery(ConversationFilter{Start: start, End: end, Port: f.Port}, "*", false)
	if err != nil {
		return d, err
	}
	args = append(args, namedGraphArgs(f, flagged)...)
	rows, err := c.DB.QueryContext(ctx, fmt.Sprintf(graphSQL, inner), args...)
	if err != nil {
		return d, fmt.Errorf("queries: graph: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			group, groupScope, services, serviceBytes string
			groupPeers, conversations                 int
			peerIsClient                              bool
		)
		cv, err := scanConversation(rows, &group, &groupScope, &groupPeers, &peerIsClient, &conversations, &services, &serviceBytes)
		if err != nil {
			return d, fmt.Errorf("queries: graph: %w", err)
		}
		if group == "" {
			d.Convs = append(d.Convs, cv)
			continue
		}
		t := GraphTail{Group: group, Direction: cv.Direction, Scope: groupScope, GroupPeers: groupPeers, PeerIsClient: peerIsClient,
			Local: cv.Client, LocalScope: cv.ClientScope, Conversations: conversations,
			Sessions: cv.Sessions, Flows: cv.Flows, Bytes: cv.Bytes, Accepted: cv.Accepted, Rejected: cv.Rejected,
			Port: cv.Port, ProtocolNumber: cv.ProtocolNumber, Services: strings.Fields(services)}
		if peerIsClient {
			t.Local, t.LocalScope = cv.Server, cv.ServerScope
		}
		for _, b := range strings.Fields(serviceBytes) {
			n, err := strconv.ParseInt(b, 10, 64)
			if err != nil {
				return d, fmt.Errorf("queries: graph: service bytes %q: %w", b, err)
			}
			t.ServiceBytes = append(t.ServiceBytes, n)
		}
		d.Tail = append(d.Tail, t)
	}
	if err := rows.Err(); err != nil {
		return d, fmt.Errorf("queries: graph: %w", err)
	}
	return d, nil
}

// namedGraphArgs are graphSQL's parameters for the filter.
func namedGraphArgs(f GraphFilter, flagged []string) []any {
	opt := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	weight := f.Weight
	if weight == "" {
		weight = "bytes"
	}
	return []any{sql.Named("g_direction", opt(f.Direction)), sql.Named("g_scope", opt(f.Scope)), sql.Named("g_weight", weight),
		sql.Named("g_min", f.Min), sql.Named("g_limit", int64(f.limit())), sql.Named("g_flagged", strings.Join(flagged, ","))}
}
