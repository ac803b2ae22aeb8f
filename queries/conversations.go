package queries

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/investigator/investigator/store"
)

// ConversationFilter chooses conversations (rows of the conversations
// analysis); zero fields match all.
type ConversationFilter struct {
	// Addr keeps the conversations of one address, either side; Peer, with
	// it, those between the two.
	Addr, Peer netip.Addr
	// Port is the server's port; Protocol the IANA protocol number.
	Port     *uint16
	Protocol *uint8
	// Action ACCEPT keeps the conversations with an accepted record, REJECT
	// those with a rejected one ("": all).
	Action string
	// Start and End bound the records' start, both inclusive.
	Start, End *time.Time
	// Limit > 0 keeps the first, largest by bytes.
	Limit int
}

// Conversation is one row of the conversations analysis: a client's
// traffic with one service of a server.
type Conversation struct {
	Client, Server string
	// Port is the server's port, nil for a protocol without ports (ICMP).
	Port           *int
	Protocol       string // its name: TCP, UDP, ICMP, proto-N
	ProtocolNumber int
	Service        string // the port's name in ref_ports, "" when it has none
	// Direction is the client's, relative to the focus: inbound (a peer
	// is the client), outbound, internal, transit.
	Direction                                            string
	Sessions, Flows, Bytes, BytesToServer, BytesToClient int64
	PacketsToServer, PacketsToClient, Accepted, Rejected int64
	First, Last                                          time.Time
	ClientScope, ServerScope                             string
	Peer, Provider, CloudService, Org, ASN               string
}

// RejectOnly reports whether every record of the conversation was rejected.
func (c Conversation) RejectOnly() bool { return c.Accepted == 0 }

// ConversationRows runs the conversations analysis on the case's derived
// tables as they are (the caller checks Stale), without recording a run,
// and keeps the rows the filter chooses, largest first.
func ConversationRows(ctx context.Context, c *store.Case, f ConversationFilter) (Table, error) {
	var t Table
	q, args, err := conversationQuery(f, "*", true)
	if err != nil {
		return t, err
	}
	t.Columns, t.Rows, err = Query(ctx, c.DB, q, 0, args...)
	if err != nil {
		return t, fmt.Errorf("queries: conversations: %w", err)
	}
	return t, nil
}

// conversationOrder is the conversations analysis's order, the largest
// first.
const conversationOrder = "bytes DESC, flows DESC, client, server, server_port, protocol_number"

// conversationQuery is the conversations analysis under the filter,
// selecting cols of its rows, in its order unless not order (the filter's
// Limit applies only in order).
func conversationQuery(f ConversationFilter, cols string, order bool) (string, []any, error) {
	a, err := embedded("conversations")
	if err != nil {
		return "", nil, err
	}
	body := a.Body
	if !order {
		// Sorting 90,000 rows nobody reads in order is a third of the
		// graph's time: the analysis ends with its ORDER BY and LIMIT, cut.
		i := strings.LastIndex(body, "\nORDER BY ")
		if i < 0 || !strings.HasSuffix(strings.TrimSpace(body), "LIMIT $limit") {
			return "", nil, fmt.Errorf("queries: conversations.sql must end with its ORDER BY and LIMIT $limit")
		}
		body = body[:i]
	}
	switch f.Action {
	case "", "ACCEPT", "REJECT":
	default:
		return "", nil, fmt.Errorf("queries: conversations: action %q is not ACCEPT or REJECT", f.Action)
	}
	addr := func(a netip.Addr) any {
		if !a.IsValid() {
			return nil
		}
		return a.Unmap().String()
	}
	at := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.UTC()
	}
	var port, proto any
	if f.Port != nil {
		port = int64(*f.Port)
	}
	if f.Protocol != nil {
		proto = int64(*f.Protocol)
	}
	limit := int64(math.MaxInt32)
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	var action any
	if f.Action != "" {
		action = f.Action
	}
	// The analysis answers for the address and the window; the rest is
	// chosen from its rows.
	q := "SELECT " + cols + " FROM (\n" + body + "\n) WHERE ($f_peer IS NULL OR client = $f_peer OR server = $f_peer)" +
		" AND ($f_port IS NULL OR server_port = $f_port) AND ($f_protocol IS NULL OR protocol_number = $f_protocol)" +
		" AND ($f_action IS NULL OR ($f_action = 'ACCEPT' AND accepted > 0) OR ($f_action = 'REJECT' AND rejected > 0))"
	if order {
		q += " ORDER BY " + conversationOrder + " LIMIT $f_limit"
	}
	peer := addr(f.Peer)
	if !f.Addr.IsValid() {
		peer = nil
	}
	return q, []any{sql.Named("addr", addr(f.Addr)), sql.Named("start", at(f.Start)), sql.Named("end", at(f.End)), sql.Named("limit", int64(math.MaxInt32)),
		sql.Named("f_peer", peer), sql.Named("f_port", port), sql.Named("f_protocol", proto), sql.Named("f_action", action), sql.Named("f_limit", limit)}, nil
}

// conversationCols are the columns of the analysis a Conversation holds,
// in scanConversation's order.
const conversationCols = `client, server, server_port, protocol, protocol_number, coalesce(service, '') AS service, direction,
	sessions, flows, bytes, bytes_to_server, bytes_to_client, packets_to_server, packets_to_client, accepted, rejected,
	first_seen, last_seen, coalesce(client_scope, '') AS client_scope, coalesce(server_scope, '') AS server_scope, coalesce(peer_ip, '') AS peer_ip,
	coalesce(provider, '') AS provider, coalesce(cloud_service, '') AS cloud_service, coalesce(org, '') AS org, coalesce(asn, '') AS asn`

// scanConversation scans a row of conversationCols, then of more.
func scanConversation(rows *sql.Rows, more ...any) (Conversation, error) {
	var cv Conversation
	var port sql.NullInt64
	dest := append([]any{&cv.Client, &cv.Server, &port, &cv.Protocol, &cv.ProtocolNumber, &cv.Service, &cv.Direction,
		&cv.Sessions, &cv.Flows, &cv.Bytes, &cv.BytesToServer, &cv.BytesToClient, &cv.PacketsToServer, &cv.PacketsToClient, &cv.Accepted, &cv.Rejected,
		&cv.First, &cv.Last, &cv.ClientScope, &cv.ServerScope, &cv.Peer, &cv.Provider, &cv.CloudService, &cv.Org, &cv.ASN}, more...)
	if err := rows.Scan(dest...); err != nil {
		return cv, err
	}
	cv.First, cv.Last = cv.First.UTC(), cv.Last.UTC()
	if port.Valid {
		p := int(port.Int64)
		cv.Port = &p
	}
	return cv, nil
}

// Conversations is ConversationRows as structs, scanned straight into
// them (a row of values per conversation would cost as much time and
// memory as the analysis).
func Conversations(ctx context.Context, c *store.Case, f ConversationFilter) ([]Conversation, error) {
	q, args, err := conversationQuery(f, conversationCols, true)
	if err != nil {
		return nil, err
	}
	rows, err := c.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("queries: conversations: %w", err)
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		cv, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("queries: conversations: %w", err)
		}
		out = append(out, cv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: conversations: %w", err)
	}
	return out, nil
}
