package study

import (
	"strings"
	"testing"
)

func TestParseOrganizers(t *testing.T) {
	t.Parallel()
	ids, clear, err := parseOrganizers("slack", []string{"<@U01|ana>,<@W02>", "U03ABC", "<@U01>"})
	if err != nil || clear || strings.Join(ids, ",") != "U01,W02,U03ABC" {
		t.Errorf("got %v %v %v", ids, clear, err)
	}
	ids, _, err = parseOrganizers("discord", []string{"<@1000000000000000201> <@!1000000000000000202>"})
	if err != nil || strings.Join(ids, ",") != "1000000000000000201,1000000000000000202" {
		t.Errorf("discord mentions: %v %v", ids, err)
	}
	if _, clear, err := parseOrganizers("slack", []string{"OFF"}); !clear || err != nil {
		t.Errorf("off: %v %v", clear, err)
	}
	for _, bad := range [][]string{{"@ana"}, {""}, {"<@U01>", "time:09:00"}, {"<!channel>"}, {"<@&1000000000000000900>"}} {
		if _, _, err := parseOrganizers("slack", bad); ErrorCode(err) != EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
