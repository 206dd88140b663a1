// Package wordcount is the Go twin of ../workload.py: the same synthetic text,
// the same share of lines per worker and the same checksum, bit for bit.
package wordcount

import "strings"

const defaultLines = 40000

var vocabulary = []string{
	"the", "of", "and", "to", "in", "a", "is", "that", "for", "it",
	"as", "was", "with", "be", "by", "on", "not", "he", "this", "are",
	"or", "his", "from", "at", "which", "but", "have", "an", "had", "they",
	"you", "were", "their", "one", "all", "we", "can", "her", "has", "there",
	"been", "if", "more", "when", "will", "would", "who", "so", "no", "time",
	"thread", "process", "lock", "queue", "worker", "core", "cache", "memory",
	"python", "gopher", "interpreter", "parallel", "benchmark", "checksum",
}

// weight gives each word its place in vocabulary, counting from 1.
var weight = func() map[string]int {
	places := make(map[string]int, len(vocabulary))
	for i, word := range vocabulary {
		places[word] = i + 1
	}
	return places
}()

func param(params map[string]int, name string, fallback int) int {
	if value, ok := params[name]; ok {
		return value
	}
	return fallback
}

// wordAt is word_at in workload.py: which word stands at this place of the text.
func wordAt(line, slot int) int {
	mixed := (uint64(line)*2654435761 + uint64(slot)*40503 + 12345) % 4294967296
	return int((mixed >> 8) % uint64(len(vocabulary)))
}

// wordsIn is words_in in workload.py: lines hold 4 to 15 words.
func wordsIn(line int) int {
	return 4 + (line*7+3)%12
}

// Setup makes the text, one string per line, before the clock starts.
func Setup(params map[string]int, workers int) any {
	lines := make([]string, param(params, "lines", defaultLines))
	words := make([]string, 0, 16)
	for i := range lines {
		words = words[:0]
		for j := 0; j < wordsIn(i); j++ {
			words = append(words, vocabulary[wordAt(i, j)])
		}
		lines[i] = strings.Join(words, " ")
	}
	return lines
}

// Task counts the words of worker index's contiguous share of the lines.
func Task(params map[string]int, index, workers int, state any) float64 {
	lines := state.([]string)
	start, stop := index*len(lines)/workers, (index+1)*len(lines)/workers
	counts := make(map[string]int)
	for _, line := range lines[start:stop] {
		for _, word := range strings.Fields(line) {
			counts[word]++
		}
	}
	total := 0
	for word, count := range counts {
		total += count * weight[word]
	}
	return float64(total)
}
