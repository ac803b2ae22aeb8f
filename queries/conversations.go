package queries

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"net/netip"
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
	a, err := embedded("conversations")
	if err != nil {
		return t, err
	}
	switch f.Action {
	case "", "ACCEPT", "REJECT":
	default:
		return t, fmt.Errorf("queries: conversations: action %q is not ACCEPT or REJECT", f.Action)
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
	q := "SELECT * FROM (\n" + a.Body + "\n) WHERE ($f_peer IS NULL OR client = $f_peer OR server = $f_peer)" +
		" AND ($f_port IS NULL OR server_port = $f_port) AND ($f_protocol IS NULL OR protocol_number = $f_protocol)" +
		" AND ($f_action IS NULL OR ($f_action = 'ACCEPT' AND accepted > 0) OR ($f_action = 'REJECT' AND rejected > 0))" +
		" ORDER BY bytes DESC, flows DESC, client, server, server_port, protocol_number LIMIT $f_limit"
	peer := addr(f.Peer)
	if !f.Addr.IsValid() {
		peer = nil
	}
	t.Columns, t.Rows, err = Query(ctx, c.DB, q, 0,
		sql.Named("addr", addr(f.Addr)), sql.Named("start", at(f.Start)), sql.Named("end", at(f.End)), sql.Named("limit", int64(math.MaxInt32)),
		sql.Named("f_peer", peer), sql.Named("f_port", port), sql.Named("f_protocol", proto), sql.Named("f_action", action), sql.Named("f_limit", limit))
	if err != nil {
		return t, fmt.Errorf("queries: conversations: %w", err)
	}
	return t, nil
}

// Conversations is ConversationRows as structs.
func Conversations(ctx context.Context, c *store.Case, f ConversationFilter) ([]Conversation, error) {
	t, err := ConversationRows(ctx, c, f)
	if err != nil {
		return nil, err
	}
	return conversationsOf(t), nil
}

// conversationsOf reads the analysis's rows by column name.
func conversationsOf(t Table) []Conversation {
	idx := map[string]int{}
	for i, col := range t.Columns {
		idx[col.Name] = i
	}
	out := make([]Conversation, 0, len(t.Rows))
	for _, row := range t.Rows {
		str := func(name string) string {
			s, _ := row[idx[name]].(string)
			return s
		}
		n := func(name string) int64 {
			v, _ := row[idx[name]].(int64)
			return v
		}
		tm := func(name string) time.Time {
			v, _ := row[idx[name]].(time.Time)
			return v
		}
		cv := Conversation{
			Client: str("client"), Server: str("server"), Protocol: str("protocol"), ProtocolNumber: int(n("protocol_number")),
			Service: str("service"), Direction: str("direction"),
			Sessions: n("sessions"), Flows: n("flows"), Bytes: n("bytes"), BytesToServer: n("bytes_to_server"), BytesToClient: n("bytes_to_client"),
			PacketsToServer: n("packets_to_server"), PacketsToClient: n("packets_to_client"), Accepted: n("accepted"), Rejected: n("rejected"),
			First: tm("first_seen"), Last: tm("last_seen"), ClientScope: str("client_scope"), ServerScope: str("server_scope"),
			Peer: str("peer_ip"), Provider: str("provider"), CloudService: str("cloud_service"), Org: str("org"), ASN: str("asn"),
		}
		if p, ok := row[idx["server_port"]].(int64); ok {
			port := int(p)
			cv.Port = &port
		}
		out = append(out, cv)
	}
	return out
}
