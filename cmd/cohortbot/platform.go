package main

import (
	"context"

	"cohortbot/internal/study"
)

// platform is one chat platform's connection, started by `cohortbot run`.
type platform interface {
	// Name is the platform's ChannelRef.Platform ("discord", "slack").
	Name() string
	// Poster delivers scheduled posts to this platform's channels.
	Poster() study.Poster
	// Start connects and begins handling events; it returns once connected (or failed) and
	// keeps working in the background until ctx ends or Close is called.
	Start(ctx context.Context) error
	// Close disconnects. It is called once, after the scheduler has stopped.
	Close() error
}
