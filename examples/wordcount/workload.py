"""Word count: each worker counts the words of its share of a synthetic text's lines.

The text is made in setup() from the parameter `lines`, before the clock
starts, so the timed section is only the counting: splitting lines into words
and keeping a tally per word in a dict, work the interpreter does itself.

The checksum is hash-free and exact: each distinct word weighs its place in
VOCABULARY (1, 2, ...), and a task returns the sum of count x weight over its
lines as a float. The sum is a whole number far below 2**53, so the float is
exact and the Go twin (go/) returns the same bits. The lines are split among
the workers (strong scaling), so the checksum does not depend on their number.
"""

SCALING = "strong"
KIND = "interpreter"
MODES = ("sequential", "threads", "processes")

DEFAULT_LINES = 40000

VOCABULARY = (
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it",
    "as", "was", "with", "be", "by", "on", "not", "he", "this", "are",
    "or", "his", "from", "at", "which", "but", "have", "an", "had", "they",
    "you", "were", "their", "one", "all", "we", "can", "her", "has", "there",
    "been", "if", "more", "when", "will", "would", "who", "so", "no", "time",
    "thread", "process", "lock", "queue", "worker", "core", "cache", "memory",
    "python", "gopher", "interpreter", "parallel", "benchmark", "checksum",
)  # fmt: skip
WEIGHT = {word: place for place, word in enumerate(VOCABULARY, 1)}


def word_at(line: int, slot: int) -> int:
    """Which word of VOCABULARY stands at this place of the text (a fixed integer hash, the same in Go)."""
    mixed = (line * 2654435761 + slot * 40503 + 12345) % 4294967296
    return (mixed >> 8) % len(VOCABULARY)


def words_in(line: int) -> int:
    """Lines hold 4 to 15 words, so they are not all alike."""
    return 4 + (line * 7 + 3) % 12


def setup(params, workers):
    """The text, one string per line, made once before the clock starts."""
    lines = params.get("lines", DEFAULT_LINES)
    return [" ".join(VOCABULARY[word_at(i, j)] for j in range(words_in(i))) for i in range(lines)]


def task(params, index, workers, state):
    """Count the words of lines [start, stop), this worker's contiguous share of the text."""
    start, stop = index * len(state) // workers, (index + 1) * len(state) // workers
    counts = {}
    for line in state[start:stop]:
        for word in line.split():
            counts[word] = counts.get(word, 0) + 1
    return float(sum(count * WEIGHT[word] for word, count in counts.items()))


def expected(params, workers):
    """The checksum straight from word_at, without making or splitting any text."""
    lines = params.get("lines", DEFAULT_LINES)
    return float(sum(word_at(i, j) + 1 for i in range(lines) for j in range(words_in(i))))
