package parse

// yahooFamily is Yahoo's notice, which is laid out as qmail-send's.
var yahooFamily = bounceFamily{
	name:    "yahoo",
	markers: []string{"Sorry, we were unable to deliver your message to the following address"},
	read:    func(lines []string, _ string, tr *textReport) { readQmailText(lines, tr) },
}
