package studytest

// StreakScenario is one member's history, a character per study day: T checked in on
// time, L caught up late (after the day closed), . nothing, A away that day (and nothing
// done). Every day closes before the next, except the last Open days, still in their
// windows (the one before today is open during its grace).
type StreakScenario struct {
	Name       string
	Days       string
	MaxFreezes int
	Open       int

	Completed, Streak, Best, Freezes int
	Frozen                           []int
}

// StreakScenarios are the streak rules as histories and their outcomes: the core's model
// and each store must agree on every one.
func StreakScenarios() []StreakScenario {
	return []StreakScenario{
		{Name: "every day on time", Days: "TTTTT", MaxFreezes: 2, Completed: 5, Streak: 5, Best: 5},
		{Name: "today still open and done", Days: "TTTT", MaxFreezes: 2, Open: 1, Completed: 4, Streak: 4, Best: 4},
		{Name: "today still open, not done yet: no break", Days: "TTT.", MaxFreezes: 2, Open: 1, Completed: 3, Streak: 3, Best: 3},
		{Name: "yesterday in its grace and done, today done", Days: "TTTT", MaxFreezes: 2, Open: 2, Completed: 4, Streak: 4, Best: 4},
		{Name: "yesterday in its grace, not done: the streak holds until it closes", Days: "TTT.T", MaxFreezes: 0, Open: 2, Completed: 4, Streak: 3, Best: 3},
		{Name: "after a miss, today's card counts at once", Days: "T..T", MaxFreezes: 0, Open: 2, Completed: 2, Streak: 1, Best: 1},
		{Name: "a missed day breaks it (no freeze held)", Days: "TT.TT", MaxFreezes: 2, Completed: 4, Streak: 2, Best: 2},
		{Name: "a late catch-up counts for completion, not the streak", Days: "TTTLT", MaxFreezes: 2, Completed: 5, Streak: 1, Best: 3},
		{Name: "seven on time earn a freeze that covers a miss", Days: "TTTTTTT.TT", MaxFreezes: 2, Completed: 9, Streak: 9, Best: 9, Frozen: []int{8}},
		{Name: "a covered day can still be caught up late", Days: "TTTTTTTLTT", MaxFreezes: 2, Completed: 10, Streak: 9, Best: 9, Frozen: []int{8}},
		{Name: "freezes off: the miss breaks", Days: "TTTTTTT.TT", MaxFreezes: 0, Completed: 9, Streak: 2, Best: 7},
		{Name: "at most two held", Days: "TTTTTTTTTTTTTTTTTTTTT", MaxFreezes: 2, Completed: 21, Streak: 21, Best: 21, Freezes: 2},
		{Name: "one held when the cohort allows one", Days: "TTTTTTTTTTTTTT", MaxFreezes: 1, Completed: 14, Streak: 14, Best: 14, Freezes: 1},
		{Name: "two misses, one freeze: the second breaks", Days: "TTTTTTT..TT", MaxFreezes: 2, Completed: 9, Streak: 2, Best: 7, Frozen: []int{8}},
		{Name: "away neither breaks nor extends", Days: "TTAAATT", MaxFreezes: 2, Completed: 4, Streak: 4, Best: 4},
		{Name: "away keeps freezes for later", Days: "TTTTTTTAA.T", MaxFreezes: 2, Completed: 8, Streak: 8, Best: 8, Frozen: []int{10}},
		{Name: "the run of on-time days restarts after a covered miss", Days: "TTTTTTT.TTTTTT.", MaxFreezes: 2, Completed: 13, Streak: 0, Best: 13, Frozen: []int{8}},
		{Name: "nothing yet", Days: "...", MaxFreezes: 2, Completed: 0, Streak: 0, Best: 0},
	}
}
