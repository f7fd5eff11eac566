package discordbot

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// discordHost is where every REST request is addressed (discordgo.EndpointDiscord).
const discordHost = "discord.com"

// apiTransport carries one bot's REST traffic and, when DISCORD_API_URL is set, sends it
// to that base URL.
//
// Why a RoundTripper: discordgo builds every REST URL from package-level variables
// computed at init (EndpointDiscord = "https://discord.com/", EndpointAPI,
// EndpointChannels, …). Reassigning them would redirect every Session in the process —
// two bots, or tests running in parallel against different fakes, would fight over them —
// and the derived variables computed at init would not even follow. A per-bot
// http.Client whose transport rewrites the scheme and host of requests addressed to
// https://discord.com (keeping the path, so a proxy base such as
// https://proxy.internal/discord works too) changes nothing global. The gateway URL needs
// no setting at all: it comes from the GET /api/v10/gateway response, as with Discord.
type apiTransport struct {
	base *url.URL // nil: talk to Discord itself
	next http.RoundTripper
}

func newTransport(apiURL string) (*apiTransport, error) {
	next := http.DefaultTransport.(*http.Transport).Clone()
	// Interaction answers go out in parallel at the rate members type: keep connections.
	// MaxIdleConns too: its default of 100 closed every connection beyond it after one
	// request, and under a burst of /done dialling again was 15% of the bot's CPU.
	next.MaxIdleConnsPerHost = 256
	next.MaxIdleConns = 256
	t := &apiTransport{next: next}
	if apiURL == "" {
		return t, nil
	}
	u, err := url.Parse(strings.TrimRight(apiURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("discord: API URL %q is not an http(s) URL", apiURL)
	}
	if u.Scheme == "https" && u.Host == discordHost && u.Path == "" {
		return t, nil // the default: no rewrite
	}
	t.base = u
	return t, nil
}

func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// Every request carries the bot token: never send one anywhere but Discord (or the
	// configured base that stands in for it).
	if req.URL.Scheme != "https" || req.URL.Host != discordHost {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("discord: refusing a request to %s: only %s is expected", req.URL.Host, discordHost)
	}
	if t.base != nil {
		r := req.Clone(req.Context())
		r.URL.Scheme, r.URL.Host, r.Host = t.base.Scheme, t.base.Host, ""
		if t.base.Path != "" {
			r.URL.Path = t.base.Path + req.URL.Path
			if req.URL.RawPath != "" {
				r.URL.RawPath = t.base.EscapedPath() + req.URL.RawPath
			}
		}
		req = r
	}
	return t.next.RoundTrip(req)
}
