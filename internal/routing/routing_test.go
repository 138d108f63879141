package routing

import (
	"errors"
	"testing"
)

func TestRuleQueue(t *testing.T) {
	rule, err := NewRule("operators", " orders=orders, fitting = fitting ,complaints=senior,")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		topic Topic
		want  string
	}{
		{"a topic with its own queue", TopicOrders, "orders"},
		{"another", TopicFitting, "fitting"},
		{"a queue not named after its topic", TopicComplaints, "senior"},
		{"a topic without a queue takes the default", TopicTires, "operators"},
		{"general takes the default", TopicGeneral, "operators"},
		{"no topic is general", "", "operators"},
		{"an unknown topic is general", "weather", "operators"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rule.Queue(tc.topic); got != tc.want {
				t.Errorf("Queue(%q) = %q, want %q", tc.topic, got, tc.want)
			}
		})
	}
}

func TestRuleGeneralQueue(t *testing.T) {
	// general may have a queue of its own; an unclassified transfer then
	// goes there rather than to the default.
	rule, err := NewRule("operators", "general=front-desk")
	if err != nil {
		t.Fatal(err)
	}
	if got := rule.Queue(""); got != "front-desk" {
		t.Errorf("Queue(\"\") = %q, want front-desk", got)
	}
	if got := rule.Queue(TopicOrders); got != "operators" {
		t.Errorf("Queue(orders) = %q, want operators", got)
	}
}

func TestZeroRule(t *testing.T) {
	// The zero rule names no queue: the dialplan's default applies.
	var r Rule
	if got := r.Queue(TopicOrders); got != "" {
		t.Errorf("Queue(orders) = %q, want empty", got)
	}
}

func TestNewRuleRejects(t *testing.T) {
	for _, tc := range []struct {
		name, def, pairs string
		want             error
	}{
		{"no =", "operators", "orders", ErrBadPair},
		{"unknown topic", "operators", "weather=sky", ErrBadPair},
		{"topic twice", "operators", "orders=a,orders=b", ErrBadPair},
		{"empty queue", "operators", "orders=", ErrBadQueue},
		{"queue with a comma-free but unsafe character", "operators", "orders=a)b", ErrBadQueue},
		{"queue with a space", "operators", "orders=a b", ErrBadQueue},
		{"bad default", "ops,x", "", ErrBadQueue},
		{"default too long", string(make([]byte, 65)), "", ErrBadQueue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRule(tc.def, tc.pairs)
			if !errors.Is(err, tc.want) {
				t.Errorf("NewRule(%q, %q) = %v, want %v", tc.def, tc.pairs, err, tc.want)
			}
		})
	}
}

func TestParseTopic(t *testing.T) {
	for _, topic := range Topics {
		if got, ok := ParseTopic(string(topic)); !ok || got != topic {
			t.Errorf("ParseTopic(%q) = %q, %v", topic, got, ok)
		}
	}
	if _, ok := ParseTopic("Orders"); ok {
		t.Error("ParseTopic accepts a topic in another case")
	}
}
