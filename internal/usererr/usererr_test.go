package usererr

import (
	"errors"
	"fmt"
	"testing"
)

type prefixed struct{ msg string }

func (e prefixed) Error() string       { return "store: " + e.msg }
func (e prefixed) UserMessage() string { return e.msg }

func TestMessage(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"plain", errors.New("queries: boom"), "queries: boom"},
		{"typed", prefixed{"no case named x"}, "no case named x"},
		{"wrapped typed", fmt.Errorf("ingest: open: %w", prefixed{"the case is in use"}), "the case is in use"},
		{"Error", fmt.Errorf("views: %w", &Error{Msg: "A case needs a name.", Err: errors.New("cause")}), "A case needs a name."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Message(tt.err); got != tt.want {
				t.Errorf("Message = %q, want %q", got, tt.want)
			}
		})
	}
}
