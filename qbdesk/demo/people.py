"""Demo applicants and experts: invented organisations and people with valid credit codes."""

from __future__ import annotations

import random
from dataclasses import dataclass

from qbdesk.demo.texts import COMPANY_FORMS, DISTRICTS, EXPERT_TITLES, GIVEN_NAMES, SURNAMES, TRADE_NAMES
from qbdesk.domain import credit_code

# Region codes of Shenzhen's districts, for the 3rd-8th characters of a credit code.
_DISTRICT_CODES = {"南山区": "440305", "福田区": "440304", "宝安区": "440306", "龙岗区": "440307",
                   "龙华区": "440309", "光明区": "440311", "坪山区": "440310", "罗湖区": "440303"}


@dataclass(frozen=True)
class Applicant:
    name: str
    trade: str  # 字号, the distinctive part of the name
    industry: str
    credit_code: str
    contact: str
    phone: str  # landline of the contact
    mobile: str
    address: str
    email: str | None
    legal_rep: str
    founded: int
    capital: int  # registered capital, 10k yuan
    staff: int

    def variant_name(self) -> str:
        """The same organisation written slightly differently (深圳市X… <-> 深圳X…)."""
        if self.name.startswith("深圳市"):
            return "深圳" + self.name[3:]
        return "深圳市" + self.name[2:]

    def identity_tokens(self) -> tuple[str, ...]:
        """Every string that identifies this applicant; none may appear in blind material."""
        bare = self.name.removeprefix("深圳市").removeprefix("深圳")
        for form in ("股份有限公司", "有限公司"):
            bare = bare.removesuffix(form)
        tokens = [self.name, self.variant_name(), bare, self.trade, self.credit_code, self.contact,
                  self.legal_rep, self.phone, self.phone.replace("-", ""), self.mobile, self.address]
        if self.email:
            tokens.append(self.email)
        return tuple(dict.fromkeys(tokens))


@dataclass(frozen=True)
class Expert:
    id: str
    name: str
    organisation: str
    title: str
    phone: str
    programs: tuple[str, ...]
    conflicts: tuple[str, ...]  # credit codes or organisation names


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def mobile(rng: random.Random) -> str:
    return rng.choice(("135", "136", "137", "138", "139", "150", "158", "186", "188")) + f"{rng.randrange(10**8):08d}"


class ApplicantFactory:
    """Makes applicants with unique names, trade names (while they last) and credit codes."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._trades = list(TRADE_NAMES)
        rng.shuffle(self._trades)
        self._names: set[tuple[str, str]] = set()
        self._codes: set[str] = set()
        self._people: set[str] = set()

    def unique_person(self) -> str:
        while True:
            name = person_name(self.rng)
            if name not in self._people:
                self._people.add(name)
                return name

    def make(self, industries: tuple[str, ...]) -> Applicant:
        rng = self.rng
        while True:
            trade, pinyin = self._trades[len(self._names) % len(self._trades)]
            industry = rng.choice(industries)
            prefix = "深圳市" if rng.random() < 0.8 else "深圳"
            name = f"{prefix}{trade}{industry}{rng.choice(COMPANY_FORMS)}"
            # Unique by trade name + industry: names differing only in 深圳市/深圳 or legal form
            # are one organisation to the conflict rules.
            if (trade, industry) not in self._names:
                self._names.add((trade, industry))
                break
        district, streets, roads, parks = rng.choice(DISTRICTS)
        region = _DISTRICT_CODES[district] if rng.random() < 0.5 else "440300"
        while True:
            code = credit_code.generate(rng, region=region)
            if code not in self._codes:
                self._codes.add(code)
                break
        address = (f"深圳市{district}{rng.choice(streets)}{rng.choice(roads)}{rng.randrange(1, 300)}号"
                   f"{rng.choice(parks)}{rng.choice('ABCDE')}栋{rng.randrange(2, 30)}{rng.randrange(1, 20):02d}室")
        email = None
        if rng.random() < 0.8:
            email = f"{rng.choice(('quality', 'office', 'zhiliang', 'xmsb', 'qm'))}@{pinyin}.com.cn"
        return Applicant(
            name=name, trade=trade, industry=industry, credit_code=code,
            contact=self.unique_person(),
            phone=f"0755-{rng.choice('2368')}{rng.randrange(10**7):07d}",
            mobile=mobile(rng), address=address, email=email,
            legal_rep=self.unique_person(),
            founded=rng.randrange(1995, 2019), capital=rng.choice((500, 1000, 2000, 3000, 5000, 8000, 12000)),
            staff=rng.randrange(60, 2500),
        )

    def other_company(self) -> str:
        """A plausible organisation that is not applying (an expert's former employer)."""
        trade = self.rng.choice(("安泽", "博睿", "恒信", "瑞诚"))
        return f"深圳市{trade}检测技术有限公司"


def expert_title(i: int) -> str:
    return EXPERT_TITLES[i % len(EXPERT_TITLES)]
