package affinity

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseAndFormat(t *testing.T) {
	tests := []struct {
		list string
		cpus []int
		back string
	}{
		{"0", []int{0}, "0"},
		{"0-3", []int{0, 1, 2, 3}, "0-3"},
		{"0,2", []int{0, 2}, "0,2"},
		{"3,0-1\n", []int{0, 1, 3}, "0-1,3"},
		{"1,1,2", []int{1, 2}, "1-2"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.list)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.list, err)
		}
		if !reflect.DeepEqual(got, tt.cpus) {
			t.Errorf("Parse(%q) = %v, want %v", tt.list, got, tt.cpus)
		}
		if back := Format(got); back != tt.back {
			t.Errorf("Format(%v) = %q, want %q", got, back, tt.back)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, list := range []string{"", "a", "3-1", "1,,2", "-1"} {
		if _, err := Parse(list); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", list)
		}
	}
}

func TestNrThrottled(t *testing.T) {
	tests := []struct {
		stat string
		want int64
		ok   bool
	}{
		{"nr_periods 10\nnr_throttled 3\nthrottled_time 99\n", 3, true},
		{"usage_usec 5\nnr_throttled 0\n", 0, true},
		{"usage_usec 5\n", 0, false},
		{"nr_throttled x\n", 0, false},
	}
	for _, tt := range tests {
		got, ok := nrThrottled(tt.stat)
		if got != tt.want || ok != tt.ok {
			t.Errorf("nrThrottled(%q) = %d, %v; want %d, %v", tt.stat, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFromStatus(t *testing.T) {
	status := "Name:\tx\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t1\n"
	got, err := FromStatus(strings.NewReader(status))
	if err != nil || !reflect.DeepEqual(got, []int{0, 1}) {
		t.Errorf("FromStatus = %v, %v; want [0 1], nil", got, err)
	}
	if _, err := FromStatus(strings.NewReader("Name:\tx\n")); err == nil {
		t.Error("FromStatus without the line succeeded, want an error")
	}
}
