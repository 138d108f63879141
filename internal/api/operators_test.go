package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestOperators(t *testing.T) {
	e := newEnv(t, envOptions{})
	list := func(query string) []any {
		t.Helper()
		r := e.do(t, request{method: "GET", path: "/api/v1/operators" + query, token: testToken})
		expect(t, r, http.StatusOK, "")
		return r.json(t)["operators"].([]any)
	}
	if all := list(""); len(all) != 2 || all[0].(map[string]any)["extension"] != "101" {
		t.Errorf("operators = %v", all)
	}
	if active := list("?active=true"); len(active) != 1 || active[0].(map[string]any)["id"] != 1.0 {
		t.Errorf("active operators = %v", active)
	}
	if all := list("?active=false"); len(all) != 2 {
		t.Errorf("active=false lists %d, want every operator", len(all))
	}

	r := e.do(t, request{method: "GET", path: "/api/v1/operators/2", token: testToken})
	expect(t, r, http.StatusOK, "")
	if v := r.json(t); v["name"] != "Павел" || v["active"] != false || v["skills"].([]any)[0] != "fitting" {
		t.Errorf("operator 2 = %s", r.body)
	}

	r = e.do(t, request{method: "POST", path: "/api/v1/operators", token: testToken, body: `{"name":"Очередь шин","extension":"tires","active":true}`})
	expect(t, r, http.StatusCreated, "")
	if v := r.json(t); r.header.Get("Location") != "/api/v1/operators/3" || v["id"] != 3.0 || len(v["skills"].([]any)) != 0 {
		t.Errorf("created: Location %q, %s", r.header.Get("Location"), r.body)
	}
	r = e.do(t, request{method: "PUT", path: "/api/v1/operators/2", token: testToken, body: `{"name":"Павел","extension":"102","skills":["fitting","tires"],"active":true}`})
	expect(t, r, http.StatusOK, "")
	if o, _ := e.ops.Operator(context.Background(), 2); !o.Active || len(o.Skills) != 2 {
		t.Errorf("after update the store holds %+v", o)
	}
	if active := list("?active=true"); len(active) != 3 {
		t.Errorf("%d active operators after the changes, want 3", len(active))
	}

	tests := []struct {
		name, method, path, body string
		bad                      bool
		want                     int
		errCode                  string
	}{
		{"list, active not a bool", "GET", "/api/v1/operators?active=maybe", "", true, 400, "bad_request"},
		{"list, unknown parameter", "GET", "/api/v1/operators?skill=tires", "", false, 400, "bad_request"},
		{"get, unknown", "GET", "/api/v1/operators/99", "", false, 404, "not_found"},
		{"get, bad id", "GET", "/api/v1/operators/-1", "", true, 400, "bad_request"},
		{"create, no name", "POST", "/api/v1/operators", `{"name":" ","extension":"105"}`, false, 422, "invalid_operator"},
		{"create, no extension", "POST", "/api/v1/operators", `{"name":"Анна"}`, true, 422, "invalid_operator"},
		{"create, bad extension", "POST", "/api/v1/operators", `{"name":"Анна","extension":"1 05"}`, false, 422, "invalid_operator"},
		{"create, bad skill", "POST", "/api/v1/operators", `{"name":"Анна","extension":"105","skills":["Шины"]}`, false, 422, "invalid_operator"},
		{"create, unknown field", "POST", "/api/v1/operators", `{"name":"Анна","extension":"105","queue":"x"}`, true, 400, "bad_request"},
		{"create, active not a bool", "POST", "/api/v1/operators", `{"name":"Анна","extension":"105","active":"yes"}`, true, 400, "bad_request"},
		{"create, too large", "POST", "/api/v1/operators", `{"name":"` + strings.Repeat("x", maxBody) + `","extension":"105"}`, false, 413, "payload_too_large"},
		{"update, unknown", "PUT", "/api/v1/operators/99", `{"name":"Анна","extension":"105"}`, false, 404, "not_found"},
		{"update, invalid", "PUT", "/api/v1/operators/1", `{"name":"Ольга","extension":"#101"}`, false, 422, "invalid_operator"},
		{"update, bad id", "PUT", "/api/v1/operators/one", `{"name":"Ольга","extension":"101"}`, true, 400, "bad_request"},
		{"update, no body", "PUT", "/api/v1/operators/1", "", true, 400, "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, e.do(t, request{method: tt.method, path: tt.path, token: testToken, body: tt.body, bad: tt.bad}), tt.want, tt.errCode)
		})
	}
	if all := list(""); len(all) != 3 {
		t.Errorf("%d operators after one creation and refused ones, want 3", len(all))
	}
}
