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

// zoneChoices are the time zones matching what the member is typing in the focused option.
func (b *Bot) zoneChoices(i *discordgo.Interaction) []*discordgo.ApplicationCommandOptionChoice {
	data := i.ApplicationCommandData()
	opts := data.Options
	if len(opts) > 0 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		opts = opts[0].Options
	}
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	for _, o := range opts {
		if o.Focused {
			for _, z := range b.zones.match(optionString(o), 25) {
				choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: z, Value: z})
			}
		}
	}
	return choices
}
