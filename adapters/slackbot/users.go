package slackbot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// seenCache remembers recent event ids: Slack redelivers an event it thinks was not
// received, and a retried thread reply must not count twice.
type seenCache struct {
	mu    sync.Mutex
	max   int
	order []string
	set   map[string]bool
}

func newSeenCache(n int) *seenCache { return &seenCache{max: n, set: map[string]bool{}} }

// add records id and reports whether it is new.
func (c *seenCache) add(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set[id] {
		return false
	}
	c.set[id] = true
	c.order = append(c.order, id)
	if len(c.order) > c.max {
		delete(c.set, c.order[0])
		c.order = c.order[1:]
	}
	return true
}

// userCache keeps users.info answers briefly.
type userCache struct {
	api *slack.Client
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]userInfo
}

type userInfo struct {
	name    string
	admin   bool
	isBot   bool
	fetched time.Time
}

func newUserCache(api *slack.Client, ttl time.Duration) *userCache {
	return &userCache{api: api, ttl: ttl, m: map[string]userInfo{}}
}

func (c *userCache) get(ctx context.Context, id string) (userInfo, error) {
	c.mu.Lock()
	u, ok := c.m[id]
	c.mu.Unlock()
	if ok && time.Since(u.fetched) < c.ttl {
		return u, nil
	}
	su, err := c.api.GetUserInfoContext(ctx, id)
	if err != nil {
		return userInfo{}, fmt.Errorf("users.info %s: %w", id, err)
	}
	u = userInfo{admin: su.IsAdmin || su.IsOwner || su.IsPrimaryOwner, isBot: su.IsBot, fetched: time.Now()}
	for _, n := range []string{su.Profile.DisplayName, su.Profile.RealName, su.RealName, su.Name} {
		if strings.TrimSpace(n) != "" {
			u.name = strings.TrimSpace(n)
			break
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		for k, v := range c.m {
			if time.Since(v.fetched) >= c.ttl {
				delete(c.m, k)
			}
		}
	}
	c.m[id] = u
	return u, nil
}
