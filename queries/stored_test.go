package queries

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/investigator/investigator/store"
)

func TestStoredRun(t *testing.T) {
	c := handCase(t, true)
	ctx := context.Background()
	first := runResult(t, c, "ssh-inbound", nil, false)
	runResult(t, c, "ssh-inbound", map[string]string{"port": "2222"}, true)
	got, err := StoredRun(ctx, c, first.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if got.RunID != first.RunID || got.Analysis != "ssh-inbound" || got.Version != first.Version || got.SHA256 != first.SHA256 || !got.Cached {
		t.Errorf("run %+v", got)
	}
	// As stored: the same values (times in UTC, numbers as int64), compared as text.
	if fmt.Sprint(got.Rows) != fmt.Sprint(first.Rows) || !reflect.DeepEqual(got.Columns, first.Columns) || fmt.Sprint(got.Params["port"]) != "22" {
		t.Errorf("rows %v, want %v; params %v", got.Rows, first.Rows, got.Params)
	}
	var nf *store.NotFoundError
	if _, err := StoredRun(ctx, c, "r-nope"); !errors.As(err, &nf) || !errors.Is(err, store.ErrNoRecord) {
		t.Errorf("a run the case does not hold: %v", err)
	}
}
