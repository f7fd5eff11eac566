package discordbot

import (
	"bufio"
	"os"
	"sort"
	"strings"
	"time"
)

// popularZones are offered first and when the system has no zone table. The standard
// library embeds zone data (time/tzdata) but exposes no list of names, so any valid name
// a member types is accepted as well.
var popularZones = []string{
	"UTC",
	"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
	"Europe/Rome", "Europe/Amsterdam", "Europe/Brussels", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm",
	"Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Budapest",
	"Europe/Athens", "Europe/Bucharest", "Europe/Sofia", "Europe/Kyiv", "Europe/Istanbul", "Europe/Moscow",
	"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "America/Toronto", "America/Vancouver", "America/Halifax", "America/St_Johns",
	"America/Mexico_City", "America/Bogota", "America/Lima", "America/Caracas", "America/Santiago",
	"America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Montevideo", "Pacific/Honolulu",
	"Africa/Lagos", "Africa/Cairo", "Africa/Nairobi", "Africa/Johannesburg", "Africa/Casablanca", "Africa/Accra",
	"Asia/Dubai", "Asia/Tehran", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Bangkok",
	"Asia/Jakarta", "Asia/Ho_Chi_Minh", "Asia/Singapore", "Asia/Kuala_Lumpur", "Asia/Manila", "Asia/Shanghai",
	"Asia/Hong_Kong", "Asia/Taipei", "Asia/Seoul", "Asia/Tokyo", "Asia/Jerusalem", "Asia/Riyadh", "Asia/Tashkent",
	"Asia/Almaty", "Australia/Perth", "Australia/Adelaide", "Australia/Brisbane", "Australia/Sydney",
	"Australia/Melbourne", "Pacific/Auckland",
}

// zoneList is the time zones offered by autocomplete.
type zoneList struct {
	all []string // popular first, then the system's table in order
}

// loadZones reads the system zone table (/usr/share/zoneinfo/zone1970.tab) when present.
func loadZones() *zoneList {
	seen := map[string]bool{}
	z := &zoneList{}
	add := func(name string) {
		if name != "" && !seen[name] {
			seen[name] = true
			z.all = append(z.all, name)
		}
	}
	for _, n := range popularZones {
		add(n)
	}
	var extra []string
	for _, f := range []string{"/usr/share/zoneinfo/zone1970.tab", "/usr/share/zoneinfo/zone.tab"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "#") {
				continue
			}
			if cols := strings.Split(line, "\t"); len(cols) >= 3 {
				extra = append(extra, cols[2])
			}
		}
		fh.Close()
		break
	}
	sort.Strings(extra)
	for _, n := range extra {
		add(n)
	}
	return z
}

// match returns up to n zones for what the member has typed: an exact valid name first
// (even one not in the list), then names or cities starting with it, then containing it.
// "new york" finds America/New_York.
func (z *zoneList) match(typed string, n int) []string {
	q := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(typed), " ", "_"))
	var out []string
	seen := map[string]bool{}
	add := func(name string) bool {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
		return len(out) >= n
	}
	if q == "" {
		for _, name := range z.all {
			if add(name) {
				break
			}
		}
		return out
	}
	if loc, err := time.LoadLocation(strings.TrimSpace(typed)); err == nil && loc.String() != "Local" && !strings.ContainsAny(typed, " ") {
		if add(loc.String()) {
			return out
		}
	}
	for pass := 0; pass < 2 && len(out) < n; pass++ {
		for _, name := range z.all {
			l := strings.ToLower(name)
			city := l[strings.LastIndex(l, "/")+1:]
			hit := strings.HasPrefix(l, q) || strings.HasPrefix(city, q)
			if pass == 1 {
				hit = strings.Contains(l, q)
			}
			if hit && add(name) {
				return out
			}
		}
	}
	return out
}
