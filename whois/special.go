package whois

import (
	"net/netip"

	"github.com/investigator/investigator/store"
)

// Special reports whether a lies in a block that is not globally reachable
// (store.Special, the list the analyses' scope "private" also reads): such
// an address is never sent to a WHOIS server. An invalid address is special
// too.
func Special(a netip.Addr) bool { return store.Special(a) }
