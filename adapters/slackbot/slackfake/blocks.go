package slackfake

import (
	"encoding/json"
	"net/http"
)

func parseBlocks(raw string) ([]map[string]any, error) {
	if raw == "" {
		return nil, nil
	}
	var b []map[string]any
	err := json.Unmarshal([]byte(raw), &b)
	return b, err
}

func checkBlocks(w http.ResponseWriter, text string, blocks []map[string]any) bool {
	if len(blocks) > 50 {
		slackErr(w, "invalid_blocks")
		return false
	}
	if text == "" && len(blocks) == 0 {
		slackErr(w, "no_text")
		return false
	}
	for _, b := range blocks {
		if !validBlock(b) {
			slackErr(w, "invalid_blocks")
			return false
		}
	}
	return true
}

// validBlock checks the limits Slack enforces on the block types cohortbot sends.
func validBlock(b map[string]any) bool {
	text := func(v any) (string, string) {
		m, _ := v.(map[string]any)
		t, _ := m["text"].(string)
		ty, _ := m["type"].(string)
		return ty, t
	}
	switch b["type"] {
	case "header":
		ty, t := text(b["text"])
		return ty == "plain_text" && t != "" && len([]rune(t)) <= 150
	case "section":
		_, t := text(b["text"])
		return t != "" && len([]rune(t)) <= 3000
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > 10 {
			return false
		}
		for _, e := range els {
			if _, t := text(e); t == "" || len([]rune(t)) > 3000 {
				return false
			}
		}
		return true
	case "divider":
		return true
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > 25 {
			return false
		}
		seen := map[string]bool{}
		for _, e := range els {
			m, _ := e.(map[string]any)
			id, _ := m["action_id"].(string)
			val, _ := m["value"].(string)
			_, label := text(m["text"])
			if m["type"] != "button" || id == "" || seen[id] || len(id) > 255 || len(val) > 2000 || label == "" || len([]rune(label)) > 75 {
				return false
			}
			seen[id] = true
		}
		return true
	}
	return false
}

// Button is a button found in a message's blocks.
type Button struct {
	BlockID, ActionID, Value, Text string
}

// Buttons lists the buttons in blocks.
func Buttons(blocks []map[string]any) []Button {
	var out []Button
	for _, b := range blocks {
		if b["type"] != "actions" {
			continue
		}
		bid, _ := b["block_id"].(string)
		els, _ := b["elements"].([]any)
		for _, e := range els {
			m, _ := e.(map[string]any)
			if m["type"] != "button" {
				continue
			}
			btn := Button{BlockID: bid}
			btn.ActionID, _ = m["action_id"].(string)
			btn.Value, _ = m["value"].(string)
			if t, ok := m["text"].(map[string]any); ok {
				btn.Text, _ = t["text"].(string)
			}
			out = append(out, btn)
		}
	}
	return out
}

// Texts returns every text in blocks (header, section, context), in order.
func Texts(blocks []map[string]any) []string {
	var out []string
	get := func(v any) {
		if m, ok := v.(map[string]any); ok {
			if t, ok := m["text"].(string); ok {
				out = append(out, t)
			}
		}
	}
	for _, b := range blocks {
		get(b["text"])
		if els, ok := b["elements"].([]any); ok && b["type"] == "context" {
			for _, e := range els {
				get(e)
			}
		}
	}
	return out
}
