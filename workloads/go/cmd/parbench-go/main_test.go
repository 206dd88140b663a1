package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseArgsRejects(t *testing.T) {
	tests := []struct {
		args     string
		mentions string
	}{
		{"-workload nope -mode goroutines -param iterations=1", "-workload"},
		{"-workload cpu_loop -mode threads -param iterations=1", "-mode"},
		{"-workload cpu_loop -mode goroutines -param iterations=0", "-param"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -workers 0", "-workers"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -repeats 0", "-repeats"},
		{"-workload cpu_loop -mode sequential -param iterations=1 -workers 2", "-workers"},
		{"-workload cpu_loop -mode goroutines -param iterations=x", "iterations"},
		{"-workload cpu_loop -mode goroutines -param iters=3", "iters"},
		{"-workload cpu_loop -mode goroutines", "iterations"},
		{"-workload channels -mode sequential -param messages=1 -param capacity=1", "sequential"},
		{"-workload hash -mode goroutines -param megabytes=1", "rounds"},
	}
	for _, tt := range tests {
		_, err := parseArgs(strings.Fields(tt.args))
		var usage usageError
		if !errors.As(err, &usage) {
			t.Errorf("parseArgs(%q) error = %v, want a usage error", tt.args, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.mentions) || strings.Contains(err.Error(), "\n") {
			t.Errorf("parseArgs(%q) error %q should be one line naming %s", tt.args, err, tt.mentions)
		}
	}
}

func TestRunWritesOneRecordPerRepeat(t *testing.T) {
	var out bytes.Buffer
	args := strings.Fields("-workload cpu_loop -mode goroutines -workers 2 -param iterations=1000 -warmup 1 -repeats 2")
	if err := run(args, &out); err != nil {
		t.Fatal(err)
	}
	var records []Record
	scanner := bufio.NewScanner(&out)
	for scanner.Scan() {
		var r Record
		if err := json.Unmarshal(scanner.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", scanner.Text(), err)
		}
		records = append(records, r)
	}
	if len(records) != 3 {
		t.Fatalf("got %d records, want 3", len(records))
	}
	wantWarmup := []bool{true, false, false}
	wantRepeat := []int{0, 0, 1}
	for i, r := range records {
		if r.Warmup != wantWarmup[i] || r.Repeat != wantRepeat[i] || r.Workers != 2 || r.Schema != SchemaVersion {
			t.Errorf("record %d = %+v", i, r)
		}
		if r.Checksum != 498507.4854708605 { // cpu_loop(1000), as the Python harness computes it
			t.Errorf("record %d checksum %v", i, r.Checksum)
		}
	}
}
