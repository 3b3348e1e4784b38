import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";
import { network } from "hardhat";

import { PermitTypes } from "../../../relayer/chain/typed-data.js";
import { deploySystem, ROLES, TOKEN_NAME, UNIT, type System } from "../fixtures.js";
import { domainOf, latestTimestamp } from "./signing.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

const ref = (text: string) => ethers.encodeBytes32String(text);

describe("SettlementToken issuance", () => {
  it("has 6 decimals, its name and symbol", async () => {
    const { token } = await networkHelpers.loadFixture(system);
    expect(await token.decimals()).to.equal(6n);
    expect(await token.name()).to.equal(TOKEN_NAME);
    expect(await token.symbol()).to.equal("SUSD");
  });

  describe("mint", () => {
    it("credits the recipient and emits Minted with the issuer and the fiat reference", async () => {
      const { token, issuer, stranger } = await networkHelpers.loadFixture(system);
      const tx = token.connect(issuer).mint(stranger.address, 250n * UNIT, ref("wire:42"));
      await expect(tx).to.emit(token, "Minted").withArgs(issuer.address, stranger.address, 250n * UNIT, ref("wire:42"));
      await expect(tx).to.emit(token, "Transfer").withArgs(ZeroAddress, stranger.address, 250n * UNIT);
      expect(await token.balanceOf(stranger.address)).to.equal(250n * UNIT);
    });

    it("reverts with TokenInvalidIssuance for a zero amount", async () => {
      const { token, issuer, stranger } = await networkHelpers.loadFixture(system);
      await expect(token.connect(issuer).mint(stranger.address, 0n, ref("wire:42")))
        .to.be.revertedWithCustomError(token, "TokenInvalidIssuance")
        .withArgs(0n, ref("wire:42"));
    });

    it("reverts with TokenInvalidIssuance for a zero fiat reference", async () => {
      const { token, issuer, stranger } = await networkHelpers.loadFixture(system);
      await expect(token.connect(issuer).mint(stranger.address, UNIT, ZeroHash))
        .to.be.revertedWithCustomError(token, "TokenInvalidIssuance")
        .withArgs(UNIT, ZeroHash);
    });

    it("reverts with ERC20InvalidReceiver when minting to the zero address", async () => {
      const { token, issuer } = await networkHelpers.loadFixture(system);
      await expect(token.connect(issuer).mint(ZeroAddress, UNIT, ref("wire:42")))
        .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
        .withArgs(ZeroAddress);
    });

    it("reverts with AccessControlUnauthorizedAccount for a caller without the issuer role", async () => {
      const { token, admin } = await networkHelpers.loadFixture(system);
      await expect(token.connect(admin).mint(admin.address, UNIT, ref("wire:42")))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.ISSUER);
    });
  });

  describe("burn", () => {
    async function issuerFunded() {
      const sys = await deploySystem(ethers);
      await sys.token.connect(sys.issuer).mint(sys.issuer.address, 1_000n * UNIT, ref("reserve:in"));
      return sys;
    }

    it("debits the issuer and emits Burned with the fiat reference", async () => {
      const { token, issuer } = await networkHelpers.loadFixture(issuerFunded);
      const tx = token.connect(issuer).burn(400n * UNIT, ref("redeem:7"));
      await expect(tx).to.emit(token, "Burned").withArgs(issuer.address, 400n * UNIT, ref("redeem:7"));
      await expect(tx).to.emit(token, "Transfer").withArgs(issuer.address, ZeroAddress, 400n * UNIT);
      expect(await token.balanceOf(issuer.address)).to.equal(600n * UNIT);
    });

    it("reverts with TokenInvalidIssuance for a zero amount", async () => {
      const { token, issuer } = await networkHelpers.loadFixture(issuerFunded);
      await expect(token.connect(issuer).burn(0n, ref("redeem:7")))
        .to.be.revertedWithCustomError(token, "TokenInvalidIssuance")
        .withArgs(0n, ref("redeem:7"));
    });

    it("reverts with TokenInvalidIssuance for a zero fiat reference", async () => {
      const { token, issuer } = await networkHelpers.loadFixture(issuerFunded);
      await expect(token.connect(issuer).burn(UNIT, ZeroHash))
        .to.be.revertedWithCustomError(token, "TokenInvalidIssuance")
        .withArgs(UNIT, ZeroHash);
    });

    it("reverts with ERC20InsufficientBalance when burning more than the issuer holds", async () => {
      const { token, issuer } = await networkHelpers.loadFixture(issuerFunded);
      await expect(token.connect(issuer).burn(1_001n * UNIT, ref("redeem:7")))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
        .withArgs(issuer.address, 1_000n * UNIT, 1_001n * UNIT);
    });

    it("reverts with AccessControlUnauthorizedAccount for a token holder without the issuer role", async () => {
      const { token, buyer } = await networkHelpers.loadFixture(issuerFunded);
      await expect(token.connect(buyer).burn(UNIT, ref("redeem:7")))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(buyer.address, ROLES.ISSUER);
    });
  });

  describe("supply accounting", () => {
    async function expectSupplyInvariant(sys: System, minted: bigint, burned: bigint) {
      expect(await sys.token.totalMinted()).to.equal(minted);
      expect(await sys.token.totalBurned()).to.equal(burned);
      expect(await sys.token.totalSupply()).to.equal(minted - burned);
    }

    it("keeps totalSupply equal to totalMinted - totalBurned after each step of a mint/burn sequence", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const { token, issuer, buyer } = sys;
      // The fixture minted 1,000,000 to each of two buyers.
      let minted = 2_000_000n * UNIT;
      let burned = 0n;
      await expectSupplyInvariant(sys, minted, burned);
      const steps: Array<["mint" | "burn", bigint]> = [
        ["mint", 500n * UNIT],
        ["burn", 200n * UNIT],
        ["mint", 1n],
        ["burn", 300n * UNIT],
        ["mint", 7_777n * UNIT],
        ["burn", 1n],
      ];
      for (const [i, [op, amount]] of steps.entries()) {
        if (op === "mint") {
          await token.connect(issuer).mint(issuer.address, amount, ref(`in:${i}`));
          minted += amount;
        } else {
          await token.connect(issuer).burn(amount, ref(`out:${i}`));
          burned += amount;
        }
        await expectSupplyInvariant(sys, minted, burned);
      }
      // Transfers between holders change neither figure.
      await token.connect(buyer).transfer(issuer.address, 10n * UNIT);
      await token.connect(issuer).burn(10n * UNIT, ref("out:transfer"));
      await expectSupplyInvariant(sys, minted, burned + 10n * UNIT);
    });

    it("does not count a reverted mint or burn", async () => {
      const sys = await networkHelpers.loadFixture(system);
      await expect(sys.token.connect(sys.issuer).burn(UNIT, ref("out"))).to.be.revertedWithCustomError(
        sys.token,
        "ERC20InsufficientBalance",
      );
      await expect(sys.token.connect(sys.issuer).mint(sys.stranger.address, 0n, ref("in"))).to.be.revertedWithCustomError(
        sys.token,
        "TokenInvalidIssuance",
      );
      await expectSupplyInvariant(sys, 2_000_000n * UNIT, 0n);
    });
  });
});

describe("SettlementToken EIP-2612 permit", () => {
  async function signPermit(sys: System, overrides: { value?: bigint; nonce?: bigint; deadline?: bigint } = {}, signer = sys.buyer) {
    const message = {
      owner: sys.buyer.address,
      spender: sys.stranger.address,
      value: overrides.value ?? 123n * UNIT,
      nonce: overrides.nonce ?? (await sys.token.nonces(sys.buyer.address)),
      deadline: overrides.deadline ?? (await latestTimestamp(ethers)) + 3_600n,
    };
    const sig = ethers.Signature.from(await signer.signTypedData(domainOf(sys), PermitTypes, message));
    return { message, sig };
  }

  function submitPermit(sys: System, p: Awaited<ReturnType<typeof signPermit>>) {
    const { message: m, sig } = p;
    return sys.token.connect(sys.stranger).permit(m.owner, m.spender, m.value, m.deadline, sig.v, sig.r, sig.s);
  }

  it("sets the allowance, emits Approval and increments the owner's nonce", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const permit = await signPermit(sys);
    await expect(submitPermit(sys, permit))
      .to.emit(sys.token, "Approval")
      .withArgs(sys.buyer.address, sys.stranger.address, 123n * UNIT);
    expect(await sys.token.allowance(sys.buyer.address, sys.stranger.address)).to.equal(123n * UNIT);
    expect(await sys.token.nonces(sys.buyer.address)).to.equal(1n);
  });

  it("lets the spender move the permitted value with transferFrom", async () => {
    const sys = await networkHelpers.loadFixture(system);
    await submitPermit(sys, await signPermit(sys));
    await expect(
      sys.token.connect(sys.stranger).transferFrom(sys.buyer.address, sys.merchant.address, 123n * UNIT),
    ).to.changeTokenBalances(ethers, sys.token, [sys.buyer, sys.merchant], [-123n * UNIT, 123n * UNIT]);
  });

  it("reverts with ERC2612InvalidSigner when the same permit is replayed", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const permit = await signPermit(sys);
    await submitPermit(sys, permit);
    await expect(submitPermit(sys, permit)).to.be.revertedWithCustomError(sys.token, "ERC2612InvalidSigner");
  });

  it("succeeds at the deadline second", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const deadline = (await latestTimestamp(ethers)) + 100n;
    const permit = await signPermit(sys, { deadline });
    await networkHelpers.time.setNextBlockTimestamp(deadline);
    await expect(submitPermit(sys, permit)).to.emit(sys.token, "Approval");
  });

  it("reverts with ERC2612ExpiredSignature one second after the deadline", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const deadline = (await latestTimestamp(ethers)) + 100n;
    const permit = await signPermit(sys, { deadline });
    await networkHelpers.time.setNextBlockTimestamp(deadline + 1n);
    await expect(submitPermit(sys, permit))
      .to.be.revertedWithCustomError(sys.token, "ERC2612ExpiredSignature")
      .withArgs(deadline);
  });

  it("reverts with ERC2612InvalidSigner when someone other than the owner signed", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const permit = await signPermit(sys, {}, sys.stranger);
    await expect(submitPermit(sys, permit))
      .to.be.revertedWithCustomError(sys.token, "ERC2612InvalidSigner")
      .withArgs(sys.stranger.address, sys.buyer.address);
    expect(await sys.token.allowance(sys.buyer.address, sys.stranger.address)).to.equal(0n);
  });

  it("reverts with ERC2612InvalidSigner for a permit signed with a future nonce", async () => {
    const sys = await networkHelpers.loadFixture(system);
    const permit = await signPermit(sys, { nonce: 1n });
    await expect(submitPermit(sys, permit)).to.be.revertedWithCustomError(sys.token, "ERC2612InvalidSigner");
  });
});
