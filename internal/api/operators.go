package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/tirevoice/assistant/internal/operators"
)

// OperatorView is an operator as the API shows it.
type OperatorView struct {
	ID        int      `json:"id"`
	Name      string   `json:"name"`
	Extension string   `json:"extension"` // what the dialplan dials: a SIP extension or a queue
	Skills    []string `json:"skills"`
	Active    bool     `json:"active"` // takes calls now
}

// OperatorInput is the body of POST and PUT /api/v1/operators: an operator
// without its ID, which the store assigns (POST) or the path names (PUT).
type OperatorInput struct {
	Name      string   `json:"name"`
	Extension string   `json:"extension"`
	Skills    []string `json:"skills"`
	Active    bool     `json:"active"`
}

// OperatorList is the answer of GET /api/v1/operators.
type OperatorList struct {
	Operators []OperatorView `json:"operators"` // by ID
}

func operatorView(o operators.Operator) OperatorView {
	skills := o.Skills
	if skills == nil {
		skills = []string{}
	}
	return OperatorView{ID: o.ID, Name: o.Name, Extension: o.Extension, Skills: skills, Active: o.Active}
}

func (in OperatorInput) operator(id int) operators.Operator {
	return operators.Operator{ID: id, Name: in.Name, Extension: in.Extension, Skills: in.Skills, Active: in.Active}
}

// operatorFailed answers a failed operator write or read.
func operatorFailed(w http.ResponseWriter, r *http.Request, d Deps, what string, err error) {
	switch {
	case errors.Is(err, operators.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no operator with this id")
	case errors.Is(err, operators.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, "invalid_operator", err.Error())
	default:
		storeFailed(w, r, d.Logger, what, err)
	}
}

func handleOperators(d Deps) http.Handler {
	if d.Operators == nil {
		return notConfigured("the operator list")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, ok := queryParams(w, r, "active")
		if !ok {
			return
		}
		activeOnly := false
		if s := q.Get("active"); s != "" {
			var err error
			if activeOnly, err = strconv.ParseBool(s); err != nil {
				badRequest(w, "active: want true or false")
				return
			}
		}
		ops, err := d.Operators.Operators(r.Context(), activeOnly)
		if err != nil {
			storeFailed(w, r, d.Logger, "listing operators", err)
			return
		}
		out := OperatorList{Operators: make([]OperatorView, 0, len(ops))}
		for _, o := range ops {
			out.Operators = append(out.Operators, operatorView(o))
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func handleOperator(d Deps) http.Handler {
	if d.Operators == nil {
		return notConfigured("the operator list")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			badRequest(w, "id: want a positive integer")
			return
		}
		o, err := d.Operators.Operator(r.Context(), id)
		if err != nil {
			operatorFailed(w, r, d, "reading an operator", err)
			return
		}
		writeJSON(w, http.StatusOK, operatorView(o))
	})
}

// handleCreateOperator adds an operator: 201 with its Location.
func handleCreateOperator(d Deps) http.Handler {
	if d.Operators == nil {
		return notConfigured("the operator list")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in OperatorInput
		if !decodeJSON(w, r, &in) {
			return
		}
		o, err := d.Operators.CreateOperator(r.Context(), in.operator(0))
		if err != nil {
			operatorFailed(w, r, d, "creating an operator", err)
			return
		}
		d.Logger.Info("operator created", "operator_id", o.ID, "extension", o.Extension)
		w.Header().Set("Location", "/api/v1/operators/"+strconv.Itoa(o.ID))
		writeJSON(w, http.StatusCreated, operatorView(o))
	})
}

// handleUpdateOperator replaces an operator.
func handleUpdateOperator(d Deps) http.Handler {
	if d.Operators == nil {
		return notConfigured("the operator list")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			badRequest(w, "id: want a positive integer")
			return
		}
		var in OperatorInput
		if !decodeJSON(w, r, &in) {
			return
		}
		o, err := d.Operators.UpdateOperator(r.Context(), in.operator(id))
		if err != nil {
			operatorFailed(w, r, d, "updating an operator", err)
			return
		}
		d.Logger.Info("operator updated", "operator_id", o.ID, "extension", o.Extension, "active", o.Active)
		writeJSON(w, http.StatusOK, operatorView(o))
	})
}
