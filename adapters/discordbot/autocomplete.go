package discordbot

import (
	"context"
	"net/http"

	"github.com/bwmarrin/discordgo"
)

// autocomplete offers IANA time zones: the only options registered with autocomplete are
// the table's time-zone options.
func (b *Bot) autocomplete(ctx context.Context, i *discordgo.Interaction) {
	err := b.call(ctx, "POST /interactions/{id}/{token}/callback", http.MethodPost,
		discordgo.EndpointInteractionResponse(i.ID, i.Token),
		callback{Type: respondAutocomplete, Data: map[string]any{"choices": b.zoneChoices(i)}}, nil,
		callOpts{})
	if err != nil {
		b.log.Warn("discord: autocomplete", "err", err)
	}
}

// maxChoices is the most choices Discord takes in an autocomplete answer.
const maxChoices = 25

// zoneChoices are the time zones matching what the member is typing in the focused option
// (the first, should a payload mark several), none for data that could not be decoded.
func (b *Bot) zoneChoices(i *discordgo.Interaction) []*discordgo.ApplicationCommandOptionChoice {
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	data, ok := commandData(i)
	if !ok {
		return choices
	}
	opts := data.Options
	if len(opts) > 0 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		opts = opts[0].Options
	}
	for _, o := range opts {
		if o.Focused {
			for _, z := range b.zones.match(optionString(o), maxChoices) {
				choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: z, Value: z})
			}
			break
		}
	}
	return choices
}
