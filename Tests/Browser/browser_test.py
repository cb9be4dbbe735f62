#!/usr/bin/env python3
"""The web page in a real browser: headless Chromium (Debian's chromium and chromium-driver)
driven by Selenium loads the page that charrnn-serve serves, writes a poem and reads it as it
streams, shows an API error beside its field, classifies two names and reads the bars, and
saves screenshots. Exits 0 when every check holds, 1 with the failed check otherwise.

    python3 Tests/Browser/browser_test.py --server .build/debug/charrnn-serve --screenshots DIR

.ci/run runs it in a venv with selenium (see there).
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = ["tang", "names-classifier", "names-generator"]


def start_server(program):
    arguments = [program, "--port", "0"]
    for name in MODELS:
        arguments += ["--model", os.path.join(ROOT, "Models", name + ".safetensors")]
    server = subprocess.Popen(arguments, stderr=subprocess.PIPE, text=True)
    for line in server.stderr:
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if found:
            return server, "http://127.0.0.1:" + found.group(1)
    raise SystemExit("browser test: the server did not start")


def post(url, document):
    request = urllib.request.Request(url, data=json.dumps(document).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok:", what)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True, help="the charrnn-serve program")
    parser.add_argument("--screenshots", required=True, help="folder for poem.png and names.png")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)

    server, url = start_server(args.server)
    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=900,1000", "--lang=en"]:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(args.chromedriver), options=options)
    wait = WebDriverWait(browser, 120)
    try:
        browser.get(url + "/")
        wait.until(lambda b: len(Select(b.find_element(By.ID, "g-model")).options) > 0)
        check(Select(browser.find_element(By.ID, "g-model")).first_selected_option.text == "tang", "the page lists the Tang model")

        # Free text, 1,000 letters (random seed 4): record the output's length at each change, to see the text
        # arrive in pieces while the status still says "writing".
        seed = browser.find_element(By.ID, "g-seed")
        seed.clear()
        seed.send_keys("山")
        length = browser.find_element(By.ID, "g-length")
        length.clear()
        length.send_keys("1000")
        browser.find_element(By.ID, "g-rng_seed").send_keys("4")
        browser.execute_script("""
            window.partial = [];
            new MutationObserver(() => {
                if (document.getElementById('poem-status').textContent !== 'done')
                    window.partial.push(Array.from(document.getElementById('poem-output').textContent).length);
            }).observe(document.getElementById('poem-output'), {childList: true, characterData: true, subtree: true});""")
        browser.find_element(By.ID, "generate").click()
        wait.until(lambda b: b.find_element(By.ID, "poem-status").text == "done")
        partial = [n for n in browser.execute_script("return window.partial") if n > 0]
        # Lengths in code points: some of the model's characters lie outside the BMP, where
        # textContent.length counts two UTF-16 units.
        final = browser.execute_script("return Array.from(document.getElementById('poem-output').textContent).length")
        check(len(set(partial)) >= 2 and partial == sorted(partial) and partial[-1] <= final <= 1001,
              f"the text arrived in {len(set(partial))} growing pieces before the end, as it was written")

        # A poem: seed 月, five characters, random seed 4; the same text as the API's.
        seed.clear()
        seed.send_keys("月")
        Select(browser.find_element(By.ID, "g-form")).select_by_value("5")
        browser.find_element(By.ID, "generate").click()
        wait.until(lambda b: b.find_element(By.ID, "poem-status").text == "done")
        poem = browser.find_element(By.ID, "poem-output").text
        expected = post(url + "/api/generate", {"model": "tang", "seed": "月", "form": 5, "rng_seed": 4, "temperature": 0.8,
                                                "length": 1000})["samples"][0]
        check(poem == expected, f"the page shows the API's poem for the same seed: {poem!r}")
        lines = poem.split("\n")
        check(len(lines) == 4 and all(re.fullmatch(r"\w{5}，\w{5}。", line) for line in lines), "four lines of 5，5。")
        browser.save_screenshot(os.path.join(args.screenshots, "poem.png"))

        # Regulated: the same poem as the API's, and the status names its pattern and rhyme.
        browser.find_element(By.ID, "g-regulated").click()
        browser.find_element(By.ID, "generate").click()
        wait.until(lambda b: b.find_element(By.ID, "poem-status").text.startswith("done"))
        regulated = post(url + "/api/generate", {"model": "tang", "seed": "月", "form": 5, "rng_seed": 4, "temperature": 0.8,
                                                 "length": 1000, "regulated": True})
        check(browser.find_element(By.ID, "poem-output").text == regulated["samples"][0],
              f"the regulated poem is the API's: {regulated['samples'][0]!r}")
        status = browser.find_element(By.ID, "poem-status").text
        check(status == f"done: pattern {regulated['verses'][0]['pattern']}, rhyme {regulated['verses'][0]['rhyme']}",
              f"the status names the pattern and rhyme: {status!r}")
        browser.find_element(By.ID, "g-regulated").click()

        # An error from the API shows beside the field that caused it.
        browser.find_element(By.ID, "g-top_k").send_keys("0")
        browser.find_element(By.ID, "generate").click()
        error = browser.find_element(By.CSS_SELECTOR, '.err[data-for="top_k"]')
        wait.until(lambda b: error.text != "")
        check(error.text == "top_k must be at least 1", f"the error is beside top-k: {error.text!r}")

        # Names: two names, their languages as bars.
        browser.find_element(By.ID, "tab-names").click()
        names = browser.find_element(By.ID, "c-names")
        names.clear()
        names.send_keys("Schmidt\n王伟")
        browser.find_element(By.ID, "classify").click()
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#bars .name")) == 2)
        blocks = browser.find_elements(By.CSS_SELECTOR, "#bars .name")
        answers = post(url + "/api/classify", {"model": "names-classifier", "names": ["Schmidt", "王伟"], "top": 3})
        for block, answer in zip(blocks, answers):
            bars = block.find_elements(By.CSS_SELECTOR, ".bar")
            shown = [(bar.get_attribute("data-category"), round(float(bar.get_attribute("data-probability")), 6)) for bar in bars]
            wanted = [(p["category"], round(p["probability"], 6)) for p in answer["predictions"]]
            check(shown == wanted, f"{answer['input']}: bars {shown}")
            width = browser.execute_script("const f = arguments[0].querySelector('.fill'); return f.getBoundingClientRect().width"
                                           " / f.parentElement.getBoundingClientRect().width", bars[0])
            check(abs(width - wanted[0][1]) < 0.02, f"{answer['input']}: the first bar is {width:.2f} of its track")
        check(answers[0]["predictions"][0]["category"] == "German" and answers[1]["predictions"][0]["category"] == "Chinese",
              "Schmidt is German and 王伟 Chinese")
        browser.save_screenshot(os.path.join(args.screenshots, "names.png"))
    finally:
        browser.quit()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print("browser test: passed; screenshots in", args.screenshots)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print("browser test FAILED:", failure, file=sys.stderr)
        sys.exit(1)
