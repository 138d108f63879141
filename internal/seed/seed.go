// Package seed fills a staging or dev installation with its test data: the
// knowledge base, the operators and a set of past calls in PostgreSQL, and
// the tires, orders and fitting stations of the Store API mock. Running it
// twice leaves the same data. It refuses a database that is not marked as
// staging or dev, so that it can never touch production.
package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tirevoice/assistant/internal/call"
	"github.com/tirevoice/assistant/internal/kb"
	"github.com/tirevoice/assistant/internal/metrics"
	"github.com/tirevoice/assistant/internal/operators"
	"github.com/tirevoice/assistant/internal/postgres"
	"github.com/tirevoice/assistant/internal/storemock"
)

// Config says what to seed.
type Config struct {
	DB              *postgres.DB
	StoreURL        string // the Store API mock's base URL; empty skips it
	StoreAdminToken string
	Client          *http.Client // nil: a client with a 30 s timeout
}

// Report says what was seeded.
type Report struct {
	Environment string
	Articles    int
	Operators   int
	Calls       int
	StoreData   string // the store mock's answer, e.g. counts; empty when skipped
}

// ErrNotStaging is returned for a database not marked as staging or dev.
var ErrNotStaging = errors.New("seed: the database is not marked as staging or dev")

// Run seeds everything. It checks the database's environment mark first.
func Run(ctx context.Context, cfg Config) (Report, error) {
	var r Report
	mark, err := cfg.DB.EnvironmentMark(ctx)
	if err != nil {
		return r, fmt.Errorf("seed: reading the environment mark: %w", err)
	}
	if mark != postgres.EnvStaging && mark != postgres.EnvDev {
		if mark == "" {
			mark = "unmarked"
		}
		return r, fmt.Errorf("%w (it is %s; `call-processor migrate` with ENVIRONMENT=staging marks a new database)", ErrNotStaging, mark)
	}
	r.Environment = mark

	articles, err := kb.Load()
	if err != nil {
		return r, err
	}
	if err := cfg.DB.KB().SeedKB(ctx, articles); err != nil {
		return r, fmt.Errorf("seed: knowledge base: %w", err)
	}
	r.Articles = len(articles)

	ops := Operators()
	if err := cfg.DB.Operators().SeedOperators(ctx, ops); err != nil {
		return r, fmt.Errorf("seed: operators: %w", err)
	}
	r.Operators = len(ops)

	calls := Calls(mark)
	for _, rec := range calls {
		if err := cfg.DB.Calls().SaveCall(ctx, rec); err != nil {
			return r, fmt.Errorf("seed: call %s: %w", rec.ID, err)
		}
	}
	r.Calls = len(calls)

	if cfg.StoreURL != "" {
		r.StoreData, err = seedStore(ctx, cfg)
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// Operators are the staging operators. Each extension is an endpoint of
// the staging Asterisk (asterisk/pjsip.conf); the skills are routing topics
// (internal/routing), and the queue of a topic in asterisk/queues.conf has
// the active operators with that skill as its members. deploy's tests keep
// the three in step. The first one is the softphone of docs/deployment.md,
// in every queue, so that a test call always rings it.
func Operators() []operators.Operator {
	return []operators.Operator{
		{Name: "Оператор стенда", Extension: "operator", Skills: []string{"general", "tires", "orders", "fitting", "complaints"}, Active: true},
		{Name: "Ирина Смирнова", Extension: "101", Skills: []string{"orders", "complaints"}, Active: true},
		{Name: "Алексей Кузнецов", Extension: "102", Skills: []string{"fitting", "tires"}, Active: true},
		{Name: "Мария Волкова", Extension: "103", Skills: []string{"general"}, Active: false},
	}
}

// namespace makes the seeded calls' UUIDs stable across runs.
var namespace = uuid.MustParse("6f1f7c2e-6a43-4d0b-9f59-0c1a3b2d9e11")

// past is one scripted past call.
type past struct {
	outcome, reason string
	turns           [][2]string // caller, bot
	tool            string
}

var pastCalls = []past{
	{metrics.OutcomeCompleted, "caller said goodbye", [][2]string{
		{"Нужны зимние шины 205/55 R16", "Нашла три варианта. Первый: Nokian Hakkapeliitta R5, 8 900 рублей."},
		{"Спасибо, до свидания", "Спасибо за звонок, до свидания!"},
	}, "search_tires"},
	{metrics.OutcomeCompleted, "caller said goodbye", [][2]string{
		{"Где мой заказ номер 100001?", "Заказ 100001 собран и ждёт вас в пункте выдачи."},
		{"До свидания", "До свидания!"},
	}, "order_status"},
	{metrics.OutcomeOperator, "caller pressed 0", nil, ""},
	{metrics.OutcomeOperator, "caller asked for an operator", [][2]string{
		{"Соедините с оператором", "Соединяю вас с оператором. Оставайтесь на линии."},
	}, ""},
	{metrics.OutcomeCompleted, "caller said goodbye", [][2]string{
		{"Сколько стоит хранение колёс?", "Хранение комплекта шин стоит 3 000 рублей за сезон."},
		{"Понятно, до свидания", "До свидания!"},
	}, "search_kb"},
	{metrics.OutcomeNoInput, "no input from the caller", nil, ""},
	{metrics.OutcomeCallerHangup, "caller hung up", [][2]string{
		{"Запишите меня на шиномонтаж в Казани", "В Казани две станции. Первая: Шиномонтаж на Баумана. Какая станция вам удобна?"},
	}, "find_stations"},
	{metrics.OutcomeCompleted, "caller said goodbye", [][2]string{
		{"Какое давление должно быть в шинах зимой?", "Зимой давление проверяйте чаще: на холоде оно падает."},
		{"Спасибо", "Обращайтесь! Чем ещё могу помочь?"},
		{"Ничем, до свидания", "До свидания!"},
	}, "search_kb"},
}

// Calls are the seeded past calls, a day apart up to a fixed date, with
// stable UUIDs: saving them again replaces them.
func Calls(environment string) []*call.Record {
	base := time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)
	var out []*call.Record
	for i, p := range pastCalls {
		started := base.Add(time.Duration(i) * (24*time.Hour + 37*time.Minute))
		rec := &call.Record{
			ID:          uuid.NewSHA1(namespace, fmt.Appendf(nil, "seed-call-%d", i)).String(),
			Caller:      fmt.Sprintf("+7900555%04d", 100+i),
			Called:      "5000",
			Environment: environment,
			Rate:        8000,
			Started:     started,
			Outcome:     p.outcome,
			Reason:      p.reason,
			Disposition: call.DispositionHangup,

			GreetingLatency: 400 * time.Microsecond,
		}
		if p.outcome == metrics.OutcomeOperator {
			rec.Disposition = call.DispositionOperator
		}
		if p.reason == "caller pressed 0" {
			rec.DTMF = "0"
		}
		at := started.Add(4 * time.Second)
		for n, tr := range p.turns {
			turn := call.Turn{
				N: n + 1, CallerText: tr[0], BotText: []string{tr[1]}, Action: "continue",
				SpeechEnd: at, STTLatency: 40 * time.Millisecond, ReplyLatency: 120 * time.Millisecond,
				TTSLatency: 60 * time.Millisecond, TurnLatency: 240 * time.Millisecond,
			}
			if n == 0 && p.tool != "" {
				turn.Tools = []call.ToolCall{{Name: p.tool, Args: `{}`, Result: tr[1], Duration: 35 * time.Millisecond}}
			}
			if n == len(p.turns)-1 && p.outcome == metrics.OutcomeCompleted {
				turn.Action = "hangup"
			}
			rec.Turns = append(rec.Turns, turn)
			at = at.Add(9 * time.Second)
		}
		rec.Ended = at.Add(3 * time.Second)
		out = append(out, rec)
	}
	return out
}

// seedStore replaces the store mock's data with the shipped fixtures.
func seedStore(ctx context.Context, cfg Config) (string, error) {
	data, err := storemock.Fixtures()
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(data)
	if err != nil {
		return "", err
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	url := strings.TrimRight(cfg.StoreURL, "/") + "/api/v1/admin/data"
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("seed: store mock: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+cfg.StoreAdminToken)
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("seed: store mock: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("seed: store mock answered %d: %s", resp.StatusCode, bytes.TrimSpace(answer))
	}
	return string(bytes.TrimSpace(answer)), nil
}
