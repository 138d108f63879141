// Package routing chooses where a caller the assistant hands over goes: an
// operators queue, by the topic of the call (docs/deployment.md, "How the
// dialplan chooses the operator").
//
// A topic is a small closed set the responders map their transfers to (the
// language model through the transfer_to_operator tool's enum, the rule
// engine through the task it is busy with), so that the configuration can
// name a queue per topic without knowing any free-text reason.
package routing

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Topic is what a transferred call is about.
type Topic string

// The routing topics. TopicGeneral is also the topic of a transfer nobody
// classified (the caller pressed 0, the providers failed).
const (
	TopicGeneral    Topic = "general"    // anything else; the default queue
	TopicTires      Topic = "tires"      // choosing or buying tires
	TopicOrders     Topic = "orders"     // an existing order: status, pick-up, returns
	TopicFitting    Topic = "fitting"    // fitting stations and bookings
	TopicComplaints Topic = "complaints" // an unhappy caller
)

// Topics lists every topic, in the order documentation shows them.
var Topics = []Topic{TopicGeneral, TopicTires, TopicOrders, TopicFitting, TopicComplaints}

// ParseTopic returns the topic named s, or false.
func ParseTopic(s string) (Topic, bool) {
	t := Topic(s)
	return t, slices.Contains(Topics, t)
}

// OrGeneral returns t, or TopicGeneral for an empty or unknown topic.
func (t Topic) OrGeneral() Topic {
	if _, ok := ParseTopic(string(t)); !ok {
		return TopicGeneral
	}
	return t
}

// Rule maps topics to queues. The zero Rule sends every call to the
// dialplan's own default (an empty queue name).
type Rule struct {
	Default string           // the queue of a topic Queues does not name (OPERATOR_QUEUE_DEFAULT)
	Queues  map[Topic]string // a queue per topic (OPERATOR_QUEUES)
}

// Queue returns the queue for topic: its own, else the default.
func (r Rule) Queue(t Topic) string {
	if q, ok := r.Queues[t.OrGeneral()]; ok {
		return q
	}
	return r.Default
}

// Errors of NewRule.
var (
	ErrBadQueue = errors.New("routing: bad queue name")
	ErrBadPair  = errors.New("routing: bad topic=queue pair")
)

// NewRule builds a rule from the default queue and a comma-separated list
// of topic=queue pairs ("orders=orders,complaints=senior"); an empty list
// sends every topic to the default. A queue name is what the dialplan may
// pass to Queue() and Dial(PJSIP/...) after filtering: letters, digits, "_"
// and "-", at most 64.
func NewRule(defaultQueue, pairs string) (Rule, error) {
	r := Rule{Default: strings.TrimSpace(defaultQueue), Queues: map[Topic]string{}}
	if !validQueue(r.Default) {
		return Rule{}, fmt.Errorf("%w %q: want letters, digits, _ and -, at most 64", ErrBadQueue, r.Default)
	}
	for pair := range strings.SplitSeq(pairs, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		name, queue, ok := strings.Cut(pair, "=")
		name, queue = strings.TrimSpace(name), strings.TrimSpace(queue)
		topic, known := ParseTopic(name)
		switch {
		case !ok:
			return Rule{}, fmt.Errorf("%w %q: want topic=queue", ErrBadPair, pair)
		case !known:
			return Rule{}, fmt.Errorf("%w %q: unknown topic %q (want one of %s)", ErrBadPair, pair, name, topicList())
		case queue == "" || !validQueue(queue):
			return Rule{}, fmt.Errorf("%w %q: queue %q: want letters, digits, _ and -, at most 64", ErrBadQueue, pair, queue)
		}
		if _, dup := r.Queues[topic]; dup {
			return Rule{}, fmt.Errorf("%w %q: topic %s given twice", ErrBadPair, pair, topic)
		}
		r.Queues[topic] = queue
	}
	return r, nil
}

// validQueue reports whether q survives the dialplan's FILTER(0-9A-Za-z_-)
// unchanged, so the queue the processor names is the queue Asterisk uses.
// Empty is valid: the dialplan's default.
func validQueue(q string) bool {
	if len(q) > 64 {
		return false
	}
	for _, c := range q {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

func topicList() string {
	s := make([]string, len(Topics))
	for i, t := range Topics {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}
