"""Headless Chromium (Debian's, with its own chromedriver) driven by Selenium, for UI tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 60


class Browser:
    def __init__(self, profile: Path):
        for binary in (CHROMIUM, CHROMEDRIVER):
            if not shutil.which(binary):
                pytest.fail(f"{binary} is missing: bin/bootstrap installs Debian's chromium and "
                            "chromium-driver", pytrace=False)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--window-size=1600,1000", f"--user-data-dir={profile}"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.driver.quit()

    def open(self, url: str) -> None:
        self.driver.get(url)

    def screenshot(self, path: Path) -> None:
        self.driver.save_screenshot(str(path))

    def wait_for_text(self, text: str, timeout_s: float = WAIT_S) -> None:
        xpath = f"//*[contains(normalize-space(text()), '{text}')]"
        try:
            WebDriverWait(self.driver, timeout_s).until(ec.presence_of_element_located((By.XPATH, xpath)))
        except TimeoutException:
            raise AssertionError(f"{text!r} did not appear on {self.driver.current_url}") from None

    def click_text(self, text: str, timeout_s: float = WAIT_S) -> None:
        self.click(f"//button[.//*[normalize-space(text())='{text}'] or normalize-space(.)='{text}'] | "
                   f"//a[normalize-space(.)='{text}']", timeout_s)

    def click(self, xpath: str, timeout_s: float = WAIT_S) -> None:
        """Click the element at `xpath` once it is clickable. The UI re-renders as its queries
        answer, so an element found may be replaced before the click lands: then it is found
        again, until the click lands or `timeout_s` passes."""
        def clicked(driver: webdriver.Chrome) -> bool:
            element = ec.element_to_be_clickable((By.XPATH, xpath))(driver)
            if not element:
                return False
            element.click()
            return True

        WebDriverWait(self.driver, timeout_s, ignored_exceptions=(StaleElementReferenceException,)).until(clicked)

    def wait_for_source(self, text: str, timeout_s: float = WAIT_S) -> None:
        """Wait until `text` is part of the rendered page (names the graph truncates included)."""
        try:
            WebDriverWait(self.driver, timeout_s).until(lambda driver: text in driver.page_source)
        except TimeoutException:
            raise AssertionError(f"{text!r} is not on {self.driver.current_url}") from None

    def launch_partition(self, base_url: str, job: str, partition_key: str) -> None:
        """Jobs -> job -> Materialize all… -> the partition picker: type the quarter's name,
        tick the one quarter it leaves, close the picker -> Launch 1 run."""
        self.open(f"{base_url}/locations/dps_assets/jobs/{job}")
        self.click_text("Materialize all…")
        wait = WebDriverWait(self.driver, WAIT_S)
        self.click("//*[normalize-space(text())='Select a partition or create one']")
        wait.until(ec.element_to_be_clickable(
            (By.XPATH, "//input[@placeholder='Filter partitions']"))).send_keys(partition_key)
        self.click(f"//span[normalize-space(text())='{partition_key}']")
        self.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        launch = wait.until(ec.element_to_be_clickable(
            (By.XPATH, "//button[normalize-space(.)='Launch 1 run']")))
        launch.click()
        wait.until(ec.invisibility_of_element(launch))
