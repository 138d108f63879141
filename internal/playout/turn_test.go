package playout_test

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tirevoice/assistant/internal/playout"
)

// The barge-in race: the reader flushes the player and cancels the turn
// the moment the caller barges in; the turn's worker, not yet told, goes
// on synthesising and queues its next sentence before the supervisor
// cancels it. That sentence must never play, nor one queued later still.
func TestCancelledTurnNeverPlays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, rec := newConn(), newRecorder()
		p := playout.New(playout.Config{}, c.send, rec)
		stop := start(p)
		if err := p.PlayTurn(1, 1, utterance(1, 50)); err != nil {
			t.Fatal(err)
		}
		p.End(1)
		time.Sleep(300 * time.Millisecond)
		synctest.Wait()
		before := len(c.sent())

		// The reader, on barge-in.
		p.Flush()
		p.Cancel(1)
		// The worker, between the barge-in and the supervisor's cancel.
		if err := p.PlayTurn(1, 2, utterance(2, 10)); !errors.Is(err, playout.ErrCancelled) {
			t.Errorf("PlayTurn of the cancelled turn = %v, want ErrCancelled", err)
		}
		p.End(2)
		// The supervisor's cancel of the same turn changes nothing.
		if dropped := p.Cancel(1); dropped != 0 {
			t.Errorf("second Cancel dropped %d frames", dropped)
		}
		if err := p.PlayTurn(1, 3, utterance(3, 10)); !errors.Is(err, playout.ErrCancelled) {
			t.Errorf("PlayTurn after the supervisor's cancel = %v, want ErrCancelled", err)
		}
		// What follows the cut: a pause (no turn) and the next turn.
		if err := p.Play(4, utterance(4, 5)); err != nil {
			t.Errorf("Play of a prompt after Cancel: %v", err)
		}
		p.End(4)
		if err := p.PlayTurn(2, 5, utterance(5, 5)); err != nil {
			t.Errorf("PlayTurn of the next turn: %v", err)
		}
		p.End(5)
		time.Sleep(time.Second)
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}

		got, _ := botFrames(c.sent())
		want := append(append(seq(1, 0, before-2), seq(4, 0, 5)...), seq(5, 0, 5)...)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("bot frames %v, want %v", got, want)
		}
		for _, ev := range rec.log_() {
			if ev[:8] == "start 2 " || ev[:8] == "start 3 " {
				t.Errorf("a cancelled utterance started: %q", ev)
			}
		}
	})
}

// Cancel drops the queued audio of the turns it cancels, the utterance in
// progress included, and leaves audio of no turn and of later turns queued,
// in order.
func TestCancelDropsOnlyStaleTurns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, rec := newConn(), newRecorder()
		p := playout.New(playout.Config{}, c.send, rec)
		stop := start(p)
		p.PlayTurn(1, 1, utterance(1, 20))
		p.End(1)
		p.PlayTurn(1, 2, utterance(2, 10))
		p.End(2)
		p.Play(3, utterance(3, 4)) // a prompt
		p.End(3)
		p.PlayTurn(2, 4, utterance(4, 4))
		p.End(4)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		before := len(c.sent()) // frames 0..5 sent by 100 ms, 2..5 of them bot audio

		if dropped, want := p.Cancel(1), 20-(before-2)+10; dropped != want {
			t.Errorf("Cancel dropped %d frames, want %d", dropped, want)
		}
		if !p.Speaking() {
			t.Error("not speaking after Cancel, with audio of other turns queued")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		got, _ := botFrames(c.sent())
		want := append(append(seq(1, 0, before-2), seq(3, 0, 4)...), seq(4, 0, 4)...)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("bot frames %v, want %v", got, want)
		}
		// Frame k is sent a tick before it plays (lead 2) and has played
		// out once the next one has been sent.
		sent := func(k int) time.Duration { return time.Duration(k-1) * tick }
		wantEv := []string{
			"start 1 at 20ms",
			"finish 1 at 100ms interrupted=true", "finish 2 at 100ms interrupted=true",
			fmt.Sprintf("start 3 at %v", sent(before)),
			fmt.Sprintf("start 4 at %v", sent(before+4)),
			fmt.Sprintf("finish 3 at %v interrupted=false", sent(before+4)+tick),
			fmt.Sprintf("finish 4 at %v interrupted=false", sent(before+8)+tick),
		}
		if ev := rec.log_(); fmt.Sprint(ev) != fmt.Sprint(wantEv) {
			t.Errorf("events\n%q\nwant\n%q", ev, wantEv)
		}
	})
}
