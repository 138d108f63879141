package kb

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tirevoice/assistant/internal/dialog"
	"github.com/tirevoice/assistant/internal/tools"
)

// searchFunc is a Searcher made of a function, for failures.
type searchFunc func(ctx context.Context, query string, limit int) ([]Hit, error)

func (f searchFunc) Search(ctx context.Context, query string, limit int) ([]Hit, error) {
	return f(ctx, query, limit)
}

func newTestRegistry(t *testing.T, s Searcher) *tools.Registry {
	t.Helper()
	r, err := tools.NewRegistry(Tool(s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestToolFinds(t *testing.T) {
	r := newTestRegistry(t, newTestMemory(t))
	tr := &tools.Trace{}
	res, err := r.Call(tools.WithTrace(context.Background(), tr), ToolName, json.RawMessage(`{"query":"сколько стоит хранение колёс"}`))
	if err != nil {
		t.Fatal(err)
	}
	data, ok := res.Data.(ToolData)
	if !ok {
		t.Fatalf("Data is %T, want ToolData", res.Data)
	}
	if !data.Found || len(data.Hits) == 0 || len(data.Hits) > 3 {
		t.Fatalf("Data = %+v, want 1..3 hits", data)
	}
	best := data.Hits[0]
	if best.Slug != "tire-storage" || res.Say != best.Answer || best.Title == "" || best.Body == "" {
		t.Errorf("best = %+v, Say = %q", best, res.Say)
	}
	if res.Action != dialog.Continue {
		t.Errorf("Action = %v, want continue", res.Action)
	}
	// What the model sees is the JSON of Data.
	raw, err := json.Marshal(res.Data)
	if err != nil {
		t.Fatal(err)
	}
	var seen struct {
		Found bool `json:"found"`
		Hits  []struct {
			Slug, Title, Answer, Body string
		} `json:"hits"`
	}
	if err := json.Unmarshal(raw, &seen); err != nil || !seen.Found || seen.Hits[0].Slug != "tire-storage" || seen.Hits[0].Answer != res.Say {
		t.Errorf("marshalled Data = %s (%v)", raw, err)
	}
	if calls := tr.Calls(); len(calls) != 1 || calls[0].Name != ToolName {
		t.Errorf("trace = %+v", calls)
	}
}

func TestToolNoMatch(t *testing.T) {
	r := newTestRegistry(t, newTestMemory(t))
	res, err := r.Call(context.Background(), ToolName, json.RawMessage(`{"query":"абырвалг"}`))
	if err != nil {
		t.Fatal(err)
	}
	if res.Say != sayNoMatch || !strings.Contains(res.Say, "оператор") {
		t.Errorf("Say = %q", res.Say)
	}
	data := res.Data.(ToolData)
	if data.Found || len(data.Hits) != 0 || data.Note == "" {
		t.Errorf("Data = %+v, want not found with a note", data)
	}
	raw, _ := json.Marshal(res.Data)
	if !strings.Contains(string(raw), `"found":false`) || !strings.Contains(string(raw), `"hits":[]`) {
		t.Errorf("marshalled Data = %s", raw)
	}
	if res.Action != dialog.Continue {
		t.Errorf("Action = %v, want continue: the caller answers the offer", res.Action)
	}
}

func TestToolSearchFails(t *testing.T) {
	boom := errors.New("database down")
	r := newTestRegistry(t, searchFunc(func(context.Context, string, int) ([]Hit, error) { return nil, boom }))
	res, err := r.Call(context.Background(), ToolName, json.RawMessage(`{"query":"гарантия"}`))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap the Searcher's", err)
	}
	if res.Say != sayFailed || res.Data.(ToolData).Found {
		t.Errorf("result = %+v", res)
	}
}

func TestToolAsksForThreeHits(t *testing.T) {
	var gotLimit int
	var gotQuery string
	r := newTestRegistry(t, searchFunc(func(_ context.Context, q string, limit int) ([]Hit, error) {
		gotQuery, gotLimit = q, limit
		return nil, nil
	}))
	if _, err := r.Call(context.Background(), ToolName, json.RawMessage(`{"query":"где грыжа"}`)); err != nil {
		t.Fatal(err)
	}
	if gotLimit != 3 || gotQuery != "где грыжа" {
		t.Errorf("Search(%q, %d), want the query as given and limit 3", gotQuery, gotLimit)
	}
}

func TestToolRejectsBadArgs(t *testing.T) {
	ran := false
	r := newTestRegistry(t, searchFunc(func(context.Context, string, int) ([]Hit, error) {
		ran = true
		return nil, nil
	}))
	for name, args := range map[string]string{
		"empty":       `{}`,
		"too short":   `{"query":"а"}`,
		"too long":    `{"query":"` + strings.Repeat("ш", 301) + `"}`,
		"not string":  `{"query":42}`,
		"extra field": `{"query":"гарантия","limit":100}`,
		"not JSON":    `{"query":`,
	} {
		if _, err := r.Call(context.Background(), ToolName, json.RawMessage(args)); !errors.Is(err, tools.ErrInvalidArgs) {
			t.Errorf("%s: err = %v, want ErrInvalidArgs", name, err)
		}
	}
	if ran {
		t.Error("invalid arguments reached the Searcher")
	}
}

func TestToolDefinition(t *testing.T) {
	tool := Tool(newTestMemory(t))
	if tool.Name != "search_kb" || tool.Description == "" {
		t.Errorf("tool = %q, %q", tool.Name, tool.Description)
	}
	const want = `{"type":"object","properties":{"query":{"type":"string","minLength":2,"maxLength":300}},"required":["query"],"additionalProperties":false}`
	if string(tool.Schema) != want {
		t.Errorf("Schema = %s", tool.Schema)
	}
}
