package study

import "context"

// reveal shows the hidden answers of part key of day n's thread (every part with hidden
// answers for an empty key) to the member who pressed Show answers.
func (s *Service) reveal(ctx context.Context, req Request, day int, key string) (Reply, error) {
	v, err := s.cohortFor(ctx, req.Channel)
	if err != nil {
		return Reply{}, err
	}
	if day > v.Track.Len() {
		return Reply{}, Errorf(EINVALID, "That button is out of date.")
	}
	var pick []Message
	for _, m := range CardThreadMessages(v.Track, day) {
		if !hasHidden(m) {
			continue
		}
		if key == "" || m.Reveal.ID == RevealAction(day, key).ID {
			pick = append(pick, m)
		}
	}
	if len(pick) == 0 {
		return Reply{}, Errorf(ENOTFOUND, "There are no hidden answers here.")
	}
	out := make([]Message, len(pick))
	for i, m := range pick {
		secs := make([]Section, len(m.Sections))
		for j, sec := range m.Sections {
			sec.Hidden = false
			secs[j] = sec
		}
		out[i] = Message{Title: "🔓 " + m.Title, Sections: secs}
	}
	return Reply{Ephemeral: true, Messages: out}, nil
}
