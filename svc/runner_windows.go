package svc

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/kardianos/service"
	winsvc "golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
)

// stopTimeout bounds how long the SCM's stop request waits for the daemon to finish.
const stopTimeout = 20 * time.Second

// RunDaemon runs the daemon, run, the way the service manager that started this process
// expects. Under the Windows SCM it answers the SCM's start and stop requests through
// kardianos/service: a stop request ends run's context. A daemon that ends by itself while
// the SCM still wants it running exits the process with a failure, so that the service's
// recovery actions restart it. Outside the SCM run is called directly.
func RunDaemon(ctx context.Context, run func(context.Context) int) int {
	if is, err := winsvc.IsWindowsService(); err != nil || !is {
		return run(ctx)
	}
	p := &scmProgram{parent: ctx, run: run, done: make(chan int, 1)}
	s, err := service.New(p, &service.Config{Name: Name})
	if err != nil {
		fmt.Fprintf(os.Stderr, "spotwatch: joining the service manager: %v\n", err)
		return 1
	}
	if err := s.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "spotwatch: running as a service: %v\n", err)
		return 1
	}
	return p.code
}

// scmProgram is the daemon as a kardianos program.
type scmProgram struct {
	parent context.Context
	run    func(context.Context) int
	done   chan int

	mu       sync.Mutex
	cancel   context.CancelFunc
	stopping bool
	code     int
}

func (p *scmProgram) Start(service.Service) error {
	ctx, cancel := context.WithCancel(p.parent)
	p.mu.Lock()
	p.cancel = cancel
	p.mu.Unlock()
	go func() {
		code := p.run(ctx)
		p.mu.Lock()
		stopping := p.stopping
		p.mu.Unlock()
		if !stopping {
			if code == 0 {
				code = 1
			}
			os.Exit(code) // the SCM sees a failure and applies the recovery actions
		}
		p.done <- code
	}()
	return nil
}

func (p *scmProgram) Stop(service.Service) error {
	p.mu.Lock()
	p.stopping = true
	cancel := p.cancel
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	select {
	case p.code = <-p.done:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("the daemon did not stop within %v", stopTimeout)
	}
}

// ServiceLogHandler returns a handler writing to the Windows Event Log (Application log,
// source spotwatch, registered by install) when this process runs under the SCM, where
// standard error goes nowhere; otherwise a nil handler. close releases the log.
func ServiceLogHandler(level slog.Leveler) (h slog.Handler, close func() error, err error) {
	if is, err := winsvc.IsWindowsService(); err != nil || !is {
		return nil, func() error { return nil }, nil
	}
	el, err := eventlog.Open(Name)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the Event Log: %w", err)
	}
	write := func(l slog.Level, line string) error {
		switch {
		case l >= slog.LevelError:
			return el.Error(3, line)
		case l >= slog.LevelWarn:
			return el.Warning(2, line)
		}
		return el.Info(1, line)
	}
	return newLineHandler(level, write), el.Close, nil
}
