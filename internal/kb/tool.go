package kb

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tirevoice/assistant/internal/tools"
)

// ToolName is the name of the knowledge-base tool.
const ToolName = "search_kb"

// toolHits is how many articles the tool hands to the model.
const toolHits = 3

// Phrases the tool says when the base has no answer.
const (
	sayNoMatch = "К сожалению, я не знаю ответа на этот вопрос. Соединить вас с оператором?"
	sayFailed  = "Извините, не получилось найти ответ. Соединить вас с оператором?"
)

const toolSchema = `{"type":"object","properties":{"query":{"type":"string","minLength":2,"maxLength":300}},"required":["query"],"additionalProperties":false}`

const toolDescription = `Search the tire shop's knowledge base (in Russian) for the shop's policies ` +
	`and general tire advice: delivery (Moscow, other cities, times, cost), pickup, payment ` +
	`(card, cash, SBP, installments, legal entities), warranty, tire bulges and cuts, returns ` +
	`and exchange, seasonal tire storage, tire pressure, studded tire rules and the winter/summer ` +
	`tire law, when to change tires, tread wear limits, working hours, fitting station addresses, ` +
	`fitting and balancing prices, puncture repair, run-flat, tire size and load/speed index ` +
	`markings, choosing tires for a car, discounts, order tracking, booking a fitting. ` +
	`Use it for any such question before answering; do not answer shop policies from memory. ` +
	`Pass the caller's question in Russian as "query" (a short phrase is enough, e.g. ` +
	`"сколько стоит хранение шин"). It returns up to 3 articles, best first, each with slug, ` +
	`title, a short spoken answer and the full body; "say" is the best article's spoken answer. ` +
	`When found is false, the base has no answer: do not guess, offer to connect an operator. ` +
	`It does not know prices or stock of particular tires, order details or free fitting slots: ` +
	`use the other tools for those.`

// ToolArgs are the arguments of the search_kb tool.
type ToolArgs struct {
	Query string `json:"query"` // the caller's question, 2..300 characters
}

// ToolHit is one article as the tool reports it to the model.
type ToolHit struct {
	Slug   string `json:"slug"`
	Title  string `json:"title"`
	Answer string `json:"answer"` // for the ear
	Body   string `json:"body"`   // the full article
}

// ToolData is the structured result of search_kb (tools.Result.Data).
type ToolData struct {
	Found bool      `json:"found"`
	Hits  []ToolHit `json:"hits"` // best first, at most 3; empty when not found
	Note  string    `json:"note,omitempty"`
}

// Tool returns the search_kb tool over s. Run searches for the query and
// says the best article's Answer, with the top three articles as Data
// (ToolData). When nothing matches it says that the bot does not know and
// offers an operator, and Data has Found false; the call goes on either
// way (the caller decides on the operator). A failing Searcher gives the
// same offer with the error, which wraps the Searcher's.
func Tool(s Searcher) tools.Tool {
	return tools.Tool{
		Name:        ToolName,
		Description: toolDescription,
		Schema:      json.RawMessage(toolSchema),
		Run: func(ctx context.Context, raw json.RawMessage) (tools.Result, error) {
			var args ToolArgs
			if err := json.Unmarshal(raw, &args); err != nil {
				return tools.Result{}, fmt.Errorf("%w: %s: %v", tools.ErrInvalidArgs, ToolName, err)
			}
			hits, err := s.Search(ctx, args.Query, toolHits)
			if err != nil {
				return tools.Result{
					Say:  sayFailed,
					Data: ToolData{Hits: []ToolHit{}, Note: "knowledge base unavailable; offer an operator"},
				}, fmt.Errorf("kb: %s: %w", ToolName, err)
			}
			if len(hits) == 0 {
				return tools.Result{
					Say:  sayNoMatch,
					Data: ToolData{Hits: []ToolHit{}, Note: "no article matches; do not guess, offer an operator"},
				}, nil
			}
			data := ToolData{Found: true, Hits: make([]ToolHit, 0, len(hits))}
			for _, h := range hits {
				data.Hits = append(data.Hits, ToolHit{Slug: h.Slug, Title: h.Title, Answer: h.Answer, Body: h.Body})
			}
			return tools.Result{Say: hits[0].Answer, Data: data}, nil
		},
	}
}
