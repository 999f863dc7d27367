package netwatch

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestWallJump(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(wall, awake time.Duration) sample { return sample{wall: t0.Add(wall), awake: awake} }
	tests := []struct {
		name      string
		prev, cur sample
		want      time.Duration
		resume    bool // with the default 5 s threshold
	}{
		{"clocks agree", at(0, time.Hour), at(5*time.Second, time.Hour+5*time.Second), 0, false},
		{"NTP slew", at(0, 0), at(5*time.Second+30*time.Millisecond, 5*time.Second), 30 * time.Millisecond, false},
		{"short nap", at(0, 0), at(9*time.Second, 5*time.Second), 4 * time.Second, false},
		{"at threshold", at(0, 0), at(10*time.Second, 5*time.Second), 5 * time.Second, false},
		{"night's sleep", at(0, 0), at(8*time.Hour+5*time.Second, 5*time.Second), 8 * time.Hour, true},
		{"ticker late after sleep", at(0, 0), at(time.Minute+7*time.Second, 7*time.Second), time.Minute, true},
		{"clock set back", at(time.Hour, 0), at(5*time.Second, 5*time.Second), -time.Hour, false},
	}
	threshold := defaultResume().threshold
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wallJump(tt.prev, tt.cur)
			if got != tt.want {
				t.Errorf("wallJump = %v, want %v", got, tt.want)
			}
			if resume := got > threshold; resume != tt.resume {
				t.Errorf("resume = %v, want %v", resume, tt.resume)
			}
		})
	}
}

// TestDetectResume runs the detector on scripted clock readings with a 1 ms interval.
func TestDetectResume(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// Awake time advances 1 s per reading; the wall clock jumps 1 h at reading 3 and 2 s (not a
	// resume) at reading 5.
	var mu sync.Mutex
	reading := 0
	now := func() sample {
		mu.Lock()
		defer mu.Unlock()
		i := time.Duration(reading)
		reading++
		wall := i * time.Second
		if i >= 3 {
			wall += time.Hour
		}
		if i >= 5 {
			wall += 2 * time.Second
		}
		return sample{wall: t0.Add(wall), awake: i * time.Second}
	}
	rs := resumeSettings{interval: time.Millisecond, threshold: 5 * time.Second, now: now}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := make(chan Change, 100)
	done := make(chan struct{})
	go func() {
		detectResume(ctx, rs, func(c Change) { changes <- c })
		close(done)
	}()
	deadline := time.After(5 * time.Second)
	for {
		mu.Lock()
		n := reading
		mu.Unlock()
		if n > 10 {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("only %d clock readings in 5 s", n)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("detectResume did not return after cancel")
	}
	close(changes)
	var got []Change
	for c := range changes {
		got = append(got, c)
	}
	if len(got) != 1 || got[0].Reason != ReasonResume {
		t.Errorf("changes = %v, want one %q", got, ReasonResume)
	}
}

// TestSamplerNoJump reads the real clocks: over a short wait they must agree.
func TestSamplerNoJump(t *testing.T) {
	now := newSampler()
	prev := now()
	time.Sleep(50 * time.Millisecond)
	cur := now()
	if j := wallJump(prev, cur); j > 50*time.Millisecond || j < -50*time.Millisecond {
		t.Errorf("wallJump over 50 ms of real time = %v, want about 0", j)
	}
	if cur.awake-prev.awake < 50*time.Millisecond {
		t.Errorf("awake clock moved %v over a 50 ms sleep", cur.awake-prev.awake)
	}
}

func TestUnbiasedDuration(t *testing.T) {
	tests := []struct {
		ticks uint64
		want  time.Duration
	}{
		{0, 0},
		{1, 100 * time.Nanosecond},
		{10_000_000, time.Second},
		{36_000_000_000, time.Hour},
	}
	for _, tt := range tests {
		if got := unbiasedDuration(tt.ticks); got != tt.want {
			t.Errorf("unbiasedDuration(%d) = %v, want %v", tt.ticks, got, tt.want)
		}
	}
}

// TestDetectResumeOnClockEvents: where the OS says when the clock jumped, the clocks are compared
// then and only then (the interval is an hour): a jump of an hour is a resume, one of 2 s is not;
// when the events stop, the timer takes over.
func TestDetectResumeOnClockEvents(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	readings := make(chan sample, 10)
	readings <- sample{wall: t0, awake: 0}                                        // at start
	readings <- sample{wall: t0.Add(time.Hour + time.Second), awake: time.Second} // slept an hour
	readings <- sample{wall: t0.Add(time.Hour + 4*time.Second), awake: 2 * time.Second}
	events := make(chan struct{})
	rs := resumeSettings{interval: time.Hour, threshold: 5 * time.Second,
		now:         func() sample { return <-readings },
		clockEvents: func(context.Context) (<-chan struct{}, error) { return events, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := make(chan Change, 10)
	done := make(chan struct{})
	go func() {
		detectResume(ctx, rs, func(c Change) { changes <- c })
		close(done)
	}()
	events <- struct{}{}
	select {
	case c := <-changes:
		if c.Reason != ReasonResume {
			t.Fatalf("change %v, want a resume", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no resume after a clock event with an hour's jump")
	}
	events <- struct{}{} // the clock set 2 s ahead: not a resume
	close(events)
	cancel()
	<-done
	if len(changes) != 0 {
		t.Errorf("changes after a 2 s jump: %v", <-changes)
	}
	if len(readings) != 0 {
		t.Errorf("%d readings left: the clocks were not compared at each event", len(readings))
	}
}
