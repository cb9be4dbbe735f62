// MARK: - The web page (filled in below)

let pageHTML = "<!doctype html><title>charrnn</title>"
