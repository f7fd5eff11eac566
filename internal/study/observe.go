package study

// Observer is told what the core did, for metrics; the core works without one.
type Observer interface {
	// CheckedIn reports a recorded check-in.
	CheckedIn(platform string, source Source)
}

type noObserver struct{}

func (noObserver) CheckedIn(string, Source) {}
