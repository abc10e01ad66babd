"""The operator console in a real browser: headless Chromium driven by Selenium against
`postgate serve` with the demo company's drafts (`postgate demo --leave-drafts`).

scripts/browser-check starts the service and sets:
  CONSOLE_URL        http://127.0.0.1:PORT
  POSTER_TOKEN, CLERK_TOKEN, READER_TOKEN
  SCREENSHOTS        the folder each page's screenshot is written to

The tests run in order (their names are numbered): the seed flow changes the data the later ones see.
"""

import datetime
import os
import re
import tempfile
import unittest
from decimal import Decimal

import openpyxl

from axe_core_python.selenium import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["CONSOLE_URL"].rstrip("/")
SCREENSHOTS = os.environ["SCREENSHOTS"]
WIDE, NARROW = 1280, 390


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={WIDE},1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.implicitly_wait(0)
    return driver


class Console(unittest.TestCase):
    driver = None

    @classmethod
    def setUpClass(cls):
        os.makedirs(SCREENSHOTS, exist_ok=True)
        cls.driver = browser()

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()

    # Helpers

    def go(self, path):
        self.driver.get(BASE + path)

    def find(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def finds(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def wait_for(self, selector, timeout=10):
        return WebDriverWait(self.driver, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, selector)))

    def click(self, selector, loads=True):
        """Clicks an element in the middle of the window (the sticky bar may cover the bottom), and
        when that loads a page, waits for it."""
        element = self.find(selector) if isinstance(selector, str) else selector
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        page = self.find("html")
        element.click()
        if not loads:
            return
        try:
            WebDriverWait(self.driver, 2).until(EC.staleness_of(page))
        except Exception:
            pass  # the click did not load a page

    def text(self, selector):
        return self.find(selector).text

    def accessible(self, name):
        """axe-core 4.4 (bundled with axe-core-python, injected by the test) finds no violation of
        any impact: labels, roles, names, contrast, landmarks, structure."""
        results = Axe().run(self.driver, options={"resultTypes": ["violations"]})
        violations = results["violations"]
        report = "; ".join(f"{v['id']} ({v['impact']}): {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})" for v in violations)
        self.assertFalse(violations, f"accessibility of {name}: {report}")

    def shot(self, name, width=WIDE):
        """The whole page at a width, as a reviewer would look at it, checked for accessibility."""
        self.accessible(f"{name} at {width}px")
        driver = self.driver
        driver.set_window_size(width, 1000)
        height = driver.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
        driver.set_window_size(width, min(max(height + 140, 700), 6000))
        driver.save_screenshot(os.path.join(SCREENSHOTS, f"{name}-{width}.png"))
        driver.set_window_size(WIDE, 1000)

    def fits(self, width):
        """At `width`, the page itself does not scroll sideways (wide tables scroll in their own box)."""
        self.driver.set_window_size(width, 900)
        overflow = self.driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        self.driver.set_window_size(WIDE, 1000)
        self.assertLessEqual(overflow, 0, f"the page scrolls sideways by {overflow}px at {width}px")

    def sign_in(self, token):
        self.driver.delete_all_cookies()
        self.go("/console/sign-in")
        self.find("#token").send_keys(token)
        self.click("form button[type=submit]")
        self.wait_for("#selection")

    def flash(self):
        return self.wait_for("#flash").text

    def row(self, invoice_id):
        return self.find(f'tr[data-id="{invoice_id}"]')

    def tick(self, invoice_id):
        box = self.find(f'tr[data-id="{invoice_id}"] input[name=id]')
        if not box.is_selected():
            self.click(box, loads=False)

    def draft_id(self, reference):
        """The id of the demo draft with this reference, from the list."""
        for row in self.finds("tbody tr[data-id]"):
            if reference in row.text:
                return row.get_attribute("data-id")
        self.fail(f"no draft '{reference}' in the list")

    # The tests, in order

    def test_01_sign_in_refusals(self):
        self.driver.delete_all_cookies()
        self.go("/console/invoices")
        self.assertIn("/console/sign-in", self.driver.current_url, "a page needs a session")
        self.shot("sign-in")
        self.click("form button[type=submit]")
        self.assertIn("/console/sign-in", self.driver.current_url, "the browser keeps an empty token (required)")

        self.find("#token").send_keys("pgt_not-a-token")
        self.click("form button[type=submit]")
        self.assertIn("not known", self.wait_for("#sign-in-error").text)
        self.shot("sign-in-refused")

        # A sign-in form whose CSRF token is not the one its cookie carries is refused.
        self.driver.execute_script("document.querySelector('input[name=csrf]').value = 'forged'")
        self.find("#token").send_keys(os.environ["POSTER_TOKEN"])
        self.click("form button[type=submit]")
        self.assertIn("expired or came from elsewhere", self.wait_for("#sign-in-error").text)
        self.assertEqual(self.driver.get_cookie("postgate_console"), None, "no session after a refused sign-in")

    def test_02_session_cookie(self):
        self.sign_in(os.environ["POSTER_TOKEN"])
        cookie = self.driver.get_cookie("postgate_console")
        self.assertTrue(cookie["httpOnly"])
        self.assertEqual(cookie["sameSite"], "Strict")
        self.assertEqual(self.driver.execute_script("return document.cookie"), "", "scripts cannot read the session")

    def test_03_filter_select_and_the_reasons_post_is_disabled(self):
        self.sign_in(os.environ["POSTER_TOKEN"])
        self.shot("invoices")
        self.fits(WIDE)
        self.fits(NARROW)
        self.shot("invoices", NARROW)

        # Filter: the demo's drafts of 2 March (Generate Invoices made one on the 3rd).
        self.find("#f-from").send_keys("03022026")
        self.find("#f-to").send_keys("03022026")
        self.click("#filter-button")
        self.wait_for("#selection")
        self.assertIn("from=2026-03-02", self.driver.current_url)
        references = [row.text for row in self.finds("tbody tr[data-id]")]
        self.assertEqual(len(references), 7, references)

        # Sort by total, descending: the header link, twice.
        self.click(self.driver.find_element(By.LINK_TEXT, "Total"))
        self.wait_for("#selection")
        self.click(self.driver.find_element(By.PARTIAL_LINK_TEXT, "Total"))
        self.wait_for("#selection")
        totals = [float(row.get_attribute("data-total")) for row in self.finds("tbody tr[data-id]")]
        self.assertEqual(totals, sorted(totals, reverse=True))
        self.assertEqual(self.find('th[aria-sort="descending"]').text.strip()[:5], "Total")

        tv = self.draft_id("TV without its serial")
        cash = self.draft_id("cash sale")
        tvs = self.draft_id("3 TVs with serials")
        # Icons: the serial icon is red where a serial is missing; items and review show their state.
        self.assertTrue(self.finds(f'tr[data-id="{tv}"] .serial-missing'), "a missing serial turns the serial icon red")
        self.assertTrue(self.finds(f'tr[data-id="{tvs}"] .serial-complete'))
        self.assertTrue(self.finds(f'tr[data-id="{tvs}"] .items'))
        self.assertTrue(self.finds(f'tr[data-id="{tvs}"] .review-unreviewed'))

        post = self.find("#post-button")
        self.assertEqual(post.get_attribute("aria-disabled"), "true", "nothing selected yet")
        for invoice in (tv, cash, tvs):
            self.tick(invoice)
        self.assertEqual(self.text("#sel-count"), "3")
        self.assertEqual(post.get_attribute("aria-disabled"), "true")
        reasons = self.text("#post-reasons")
        self.assertIn("Customer items need review", reasons)
        self.assertIn("Cash Sales Only", reasons)
        self.assertIn("Serial numbers missing", reasons)
        self.assertIn("Cash Sales Only", post.get_attribute("title"), "the reasons show on hover")
        # A keyboard user tabs from "Select all matching" to Post: it takes the focus (it is not
        # `disabled`), shows a visible focus ring, and the reasons beside it.
        self.driver.execute_script("document.getElementById('select-all').focus()")
        ActionChains(self.driver).send_keys(Keys.TAB).perform()
        self.assertEqual(self.driver.execute_script("return document.activeElement.id"), "post-button")
        self.assertEqual(self.driver.execute_script("return getComputedStyle(document.activeElement).outlineStyle"), "solid")
        tip = self.find("#post-tip")
        self.assertTrue(tip.is_displayed())
        self.assertIn("Serial numbers missing", tip.text)
        self.shot("invoices-post-disabled")
        # Pressing it anyway does nothing.
        self.click(post, loads=False)
        self.assertNotIn("/previews/", self.driver.current_url)

        # The selection's totals are exact decimal sums of the rows, written as the server writes
        # money (ConsoleFormat.money: at least two decimals, thousands grouped with commas).
        self.assertRegex(self.text("#sel-totals"), r"\d[\d,]*\.\d\d EUR")
        picked = [self.find(f'tr[data-id="{invoice}"]') for invoice in (tv, cash, tvs)]
        total = sum((Decimal(row.get_attribute("data-total")) for row in picked), Decimal(0))
        written = f"{total:,.{max(2, -total.normalize().as_tuple().exponent)}f}"
        self.assertIn(f"{written} EUR", self.text("#sel-totals"))
        for row in picked:
            value = Decimal(row.get_attribute("data-total"))
            self.assertIn(f"{value:,.{max(2, -value.normalize().as_tuple().exponent)}f}", row.text, "the server writes it the same way")

        # Select the page, then all matching.
        self.click("#select-page", loads=False)
        self.assertEqual(self.text("#sel-count"), "7")
        self.click("#select-all", loads=False)
        self.assertEqual(self.text("#sel-count"), "7")

    def test_04_fix_the_invoice_then_preview_confirm_and_watch_it_post(self):
        self.sign_in(os.environ["POSTER_TOKEN"])
        tv = self.draft_id("TV without its serial")
        self.click(f'tr[data-id="{tv}"] a.open')
        self.wait_for("#invoice-header")
        self.assertEqual(self.find("#post-one").get_attribute("aria-disabled"), "true")
        self.shot("invoice-draft")
        self.fits(NARROW)
        self.shot("invoice-draft", NARROW)

        # Load the serial: pick one from stock.
        self.click('#serials-form-1 input[value="TV55-005"]', loads=False)
        self.click("#save-serials-1")
        self.assertIn("1 serial recorded", self.flash())
        self.assertIn("TV55-005", self.text("#line-1"))

        # Review the customer item.
        self.click("#review-button")
        self.assertIn("reviewed by", self.flash())
        self.assertFalse(self.finds("#blockers li"), "nothing blocks the invoice any more")
        self.assertIsNone(self.find("#post-one").get_attribute("aria-disabled"))

        # Back: the invoice can now be posted; select it with the carpet, which needs nothing.
        self.click("#back-to-list")
        self.wait_for("#selection")
        carpet = self.draft_id("carpet (batch serial)")
        self.assertEqual(self.find(f'tr[data-id="{tv}"] .verdict').text, "Yes")
        self.tick(tv)
        self.tick(carpet)
        post = self.find("#post-button")
        self.assertIsNone(post.get_attribute("aria-disabled"))
        self.assertEqual(self.text("#post-reasons"), "")
        self.click(post)

        # The preview: the customer-item count, the totals per currency, Confirm.
        self.wait_for("#preview-summary")
        self.assertIn("/console/previews/", self.driver.current_url)
        self.assertIn("Invoices previewed: 2", self.text("#preview-summary"))
        self.assertIn("create 1 customer item", self.text("#preview-items"))
        self.assertIn("EUR", self.text("table.totals"))
        self.shot("preview")
        self.click("#confirm-button")

        # The run: progress, then the result.
        self.wait_for("#run-progress")
        self.shot("run")
        WebDriverWait(self.driver, 30).until(lambda d: d.find_element(By.ID, "run").get_attribute("data-status") != "running")
        self.assertEqual(self.text("#run-posted"), "2")
        self.assertEqual(self.text("#run-not-posted"), "0")
        self.assertIn("Finished", self.text("#run-status"))
        progress = self.find("#run-progress")
        self.assertEqual(progress.get_attribute("value"), progress.get_attribute("max"))
        self.shot("run-finished")

        # Posted: the invoice shows its number and its posting audit.
        Console.posted_tv = tv  # the credit note step credits it
        self.go(f"/console/invoices/{tv}")
        self.assertEqual(self.text("#invoice-status"), "posted")
        self.assertIn("mass", self.text("#audit"))
        self.shot("invoice-posted")

    def test_05_post_and_pay_from_the_invoice_page(self):
        self.sign_in(os.environ["POSTER_TOKEN"])
        cash = self.draft_id("cash sale")
        self.go(f"/console/invoices/{cash}")
        self.assertFalse(self.finds("#post-one"), "a Cash Sales Only invoice is not posted without its payment")
        self.assertEqual(self.find("#pay-amount").get_attribute("value"), "48.35")
        self.shot("invoice-post-and-pay")
        self.click("#post-and-pay")
        self.assertRegex(self.flash(), r"Posted as invoice \d+, with its payment")
        self.assertEqual(self.text("#invoice-status"), "posted")
        self.assertIn("post and pay", self.text("#audit"))

    def test_06_a_form_without_the_session_csrf_token_is_refused(self):
        self.sign_in(os.environ["POSTER_TOKEN"])
        tvs = self.draft_id("3 TVs with serials")
        self.go(f"/console/invoices/{tvs}")
        self.driver.execute_script("document.querySelector('#serials-form-1 input[name=csrf]').value = 'forged'")
        self.click('#serials-form-1 input[value="TV55-001"]', loads=False)  # untick one serial
        self.click("#save-serials-1")
        self.assertEqual(self.wait_for("#message-title").text, "The form was refused")
        self.shot("csrf-refused")
        self.go(f"/console/invoices/{tvs}")
        self.assertIn("TV55-001", self.text("#line-1"), "nothing changed")

    def test_06b_a_typed_serial_not_in_stock_is_added_at_sale_with_a_warning(self):
        self.sign_in(os.environ["POSTER_TOKEN"])
        nearly = self.draft_id("over the credit limit")
        self.go(f"/console/invoices/{nearly}")
        self.click('#serials-form-1 input[value="TV55-004"]', loads=False)  # untick the one from stock
        self.find("#typed-1").send_keys("TV-NEW-9")
        self.click("#save-serials-1")
        self.assertIn("Not in stock, so added at sale: TV-NEW-9", self.flash())
        self.assertIn("TV-NEW-9", self.text("#added-at-sale-1"))
        self.assertIn("TV-NEW-9", self.text("#line-1"))
        self.shot("invoice-added-at-sale")

    def test_07_roles(self):
        # A reader sees the list but cannot select or post.
        self.sign_in(os.environ["READER_TOKEN"])
        self.assertFalse(self.finds("#post-button"))
        self.assertFalse(self.finds("input[name=id]"))
        tvs = self.draft_id("3 TVs with serials")
        self.go(f"/console/invoices/{tvs}")
        self.assertFalse(self.finds("#review-button"))
        self.assertFalse(self.finds("#post-one"))
        self.shot("reader-invoice")

        # A clerk may review and preview, but not confirm.
        self.sign_in(os.environ["CLERK_TOKEN"])
        tvs = self.draft_id("3 TVs with serials")
        self.go(f"/console/invoices/{tvs}")
        self.assertFalse(self.finds("#post-one"))
        self.click("#review-button")
        self.assertIn("reviewed by clerk", self.flash())
        self.go("/console/invoices")
        self.tick(tvs)
        self.click("#post-button")
        self.wait_for("#preview-summary")
        self.assertFalse(self.finds("#confirm-button"))
        self.assertIn("poster", self.text("#confirm-refused"))

    def test_08_customer_page_and_holds(self):
        self.sign_in(os.environ["POSTER_TOKEN"])
        self.go("/console/customers/DEMO-HELD")
        self.assertTrue(self.finds("#on-hold"))
        self.assertTrue(self.find("#hold-sales_invoice").is_selected())
        self.shot("customer")
        self.fits(NARROW)
        self.shot("customer", NARROW)
        for box in self.finds("#hold-form input[type=checkbox]"):
            if box.is_selected():
                self.click(box, loads=False)
        self.click("#save-hold")
        self.assertIn("released", self.flash())
        self.assertFalse(self.finds("#on-hold"))
        self.go("/console/customers/DEMO-ACME")
        documents = self.text("#documents")
        self.assertRegex(documents, r"Invoice \d+")
        self.assertIn("Balance", self.text("#amounts"))

    def test_08b_credit_note_of_one_unit(self):
        tv = getattr(Console, "posted_tv", None)
        self.assertIsNotNone(tv, "test_04 posts the invoice this step credits")

        # A clerk drafts a credit note of the one TV from the posted invoice's page.
        self.sign_in(os.environ["CLERK_TOKEN"])
        self.go(f"/console/invoices/{tv}")
        self.wait_for("#credit-form")
        self.assertIn("1 of 1 left to credit", self.text("#credit-line-1"))
        self.assertEqual(self.find("#cn-location-1").get_attribute("value"), "DEMO-MAIN", "back where it left from")
        self.assertTrue(self.find("#cn-return-1").is_selected(), "the goods come back unless unticked")
        self.shot("invoice-credit-form")
        self.fits(NARROW)
        self.shot("invoice-credit-form", NARROW)
        self.find("#cn-quantity-1").send_keys("1")
        self.click(self.driver.find_element(By.XPATH, "//form[@id='credit-form']//label[normalize-space()='TV55-005']"), loads=False)
        self.assertTrue(self.find("#cn-serial-1-1").is_selected())
        self.find("#cn-reason").send_keys("dead pixels")
        self.click("#credit-draft")
        self.wait_for("#credit-note-header")
        self.assertIn("/console/credit-notes/", self.driver.current_url)
        note = self.driver.current_url
        self.assertEqual(self.text("#credit-note-status"), "draft")
        self.assertIn("TV55-005", self.text("#credit-line-1"))
        self.assertIn("dead pixels", self.text("#credit-note-reason"))
        self.assertIn("can be posted", self.text("#can-post"))
        self.assertFalse(self.finds("#post-credit-note"), "a clerk drafts, a poster posts")
        self.assertTrue(self.finds("#delete-credit-note"))
        self.shot("credit-note-draft")
        self.fits(NARROW)
        self.shot("credit-note-draft", NARROW)

        # The poster posts it: a number, the credit allocated to the invoice, the TV back in stock.
        self.sign_in(os.environ["POSTER_TOKEN"])
        self.driver.get(note)
        self.wait_for("#credit-note-header")
        self.assertIsNone(self.find("#post-credit-note").get_attribute("aria-disabled"))
        self.click("#post-credit-note")
        self.assertRegex(self.flash(), r"Posted as credit note \d+\. The goods of line 1 are back in stock")
        self.assertEqual(self.text("#credit-note-status"), "posted")
        self.assertRegex(self.text("#allocations"), r"Invoice \d+ 603\.79 EUR")
        self.assertFalse(self.finds("#post-credit-note"))
        self.shot("credit-note-posted")
        self.fits(NARROW)

        # The invoice shows it, and has nothing left to credit; so does its customer.
        self.click("#credit-note-invoice")
        self.wait_for("#invoice-credit-notes")
        self.assertRegex(self.text("#invoice-credit-notes"), r"Credit note \d+ posted 20\d\d-\d\d-\d\d 603\.79 EUR")
        self.assertTrue(self.finds("#credited-in-full"))
        self.assertFalse(self.finds("#credit-form"))
        self.shot("invoice-credited")
        self.go("/console/customers/DEMO-ACME")
        self.assertRegex(self.text("#credit-notes"), r"Credit note \d+")
        self.accessible("customer with a credit note")

    def test_08c_adjustments_from_a_workbook(self):
        """A clerk uploads a workbook written by openpyxl: checked, its problems shown by row and
        cell; corrected, its totals per customer; then imported."""
        folder = tempfile.mkdtemp()

        def workbook(name, rows):
            book = openpyxl.Workbook()
            sheet = book.active
            sheet.append(["Customer Code", "Adjustment Date", "Amount", "Notes"])
            for row in rows:
                sheet.append(row)
            path = os.path.join(folder, name)
            book.save(path)
            return path

        bad = workbook("november.xlsx", [["DEMO-ACME", datetime.date(2026, 11, 1), Decimal("-12.5"), "goodwill"],
                                         ["DEMO-NOBODY", datetime.date(2026, 11, 2), 3, ""]])
        good = workbook("november-fixed.xlsx", [["DEMO-ACME", datetime.date(2026, 11, 1), Decimal("-12.5"), "goodwill"],
                                                ["DEMO-ACME", datetime.date(2026, 11, 2), 3, "fee"]])
        self.sign_in(os.environ["CLERK_TOKEN"])
        self.click("nav a[href='/console/adjustments']")
        self.wait_for("#import-form")
        self.find("#file").send_keys(bad)
        self.click("#check")
        self.wait_for("#problems")
        self.assertIn("november.xlsx: 1 problem in 1 of 2 rows; nothing was imported", self.text("#result-heading"))
        self.assertRegex(self.text("#problems"), r"3 A3 Customer Code DEMO-NOBODY")
        self.shot("adjustments-problems")
        self.fits(NARROW)
        self.shot("adjustments-problems", NARROW)
        self.find("#file").send_keys(good)
        self.click("#check")
        self.wait_for("#totals")
        self.assertRegex(self.text("#totals"), r"DEMO-ACME EUR 2 -9\.50")
        self.shot("adjustments-check")
        self.find("#file").send_keys(good)
        self.click("#import")
        self.assertIn("Imported 2 adjustments from november-fixed.xlsx as batch", self.flash())
        self.assertRegex(self.find("#batch").get_attribute("value"), r"^\d+$", "the export is filtered by the batch imported")
        self.shot("adjustments-imported")

        # A reader exports, and cannot import.
        self.sign_in(os.environ["READER_TOKEN"])
        self.go("/console/adjustments")
        self.wait_for("#export-form")
        self.assertFalse(self.finds("#import-form"))
        self.accessible("adjustments for a reader")

    def test_09_sign_out(self):
        self.sign_in(os.environ["POSTER_TOKEN"])
        self.click(".who button")
        self.wait_for("#token")
        self.go("/console/invoices")
        self.assertIn("/console/sign-in", self.driver.current_url)


if __name__ == "__main__":
    unittest.main(verbosity=2)
