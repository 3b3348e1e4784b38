import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { concat, dataSlice, getAddress, TypedDataEncoder, zeroPadValue } from "ethers";
import { network } from "hardhat";

import { TransferWithAuthorizationTypes } from "../../../relayer/chain/typed-data.js";

import type { SettlementToken } from "../../../typechain-types/index.js";
import { ADMIN_DELAY, deploySystem, ROLES, TOKEN_NAME, UNIT, type System } from "../fixtures.js";
import {
  domainOf,
  highSTwin,
  latestTimestamp,
  makeAuthorization,
  signAuthorization,
  signCancel,
  type Authorization,
  type AuthorizationKind,
} from "./signing.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const system = () => deploySystem(ethers);

/** Submits `auth` with `signature` through the function for `kind`, from `caller`. */
function submit(token: SettlementToken, caller: HardhatEthersSigner, kind: AuthorizationKind, auth: Authorization, signature: string) {
  const fn = kind === "transfer" ? token.connect(caller).transferWithAuthorization : token.connect(caller).receiveWithAuthorization;
  return fn(auth.from, auth.to, auth.value, auth.validAfter, auth.validBefore, auth.nonce, signature);
}

/** The address the ecrecover precompile (which has no low-s rule) recovers from a 65-byte signature. */
async function ecrecover(digest: string, signature: string): Promise<string> {
  const input = concat([digest, zeroPadValue(dataSlice(signature, 64, 65), 32), dataSlice(signature, 0, 32), dataSlice(signature, 32, 64)]);
  const output = await ethers.provider.call({ to: "0x0000000000000000000000000000000000000001", data: input });
  return getAddress(dataSlice(output, 12, 32));
}

/** The buyer's signed transfer authorization, submitted by a stranger (relayer). */
async function signedTransfer(sys: System, overrides: Partial<Authorization> = {}) {
  const auth = await makeAuthorization(sys, overrides);
  const signature = await signAuthorization(sys.buyer, "transfer", auth, domainOf(sys));
  return { auth, signature };
}

describe("SettlementToken EIP-3009", () => {
  describe("transferWithAuthorization", () => {
    it("moves the value from the signer to the payee when anyone submits it", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const { auth, signature } = await signedTransfer(sys);
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature)).to.changeTokenBalances(
        ethers,
        sys.token,
        [sys.buyer, sys.merchant, sys.stranger],
        [-auth.value, auth.value, 0n],
      );
    });

    it("emits AuthorizationUsed and Transfer and marks the nonce used", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const { auth, signature } = await signedTransfer(sys);
      expect(await sys.token.authorizationState(auth.from, auth.nonce)).to.equal(false);
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.emit(sys.token, "AuthorizationUsed")
        .withArgs(auth.from, auth.nonce)
        .and.to.emit(sys.token, "Transfer")
        .withArgs(auth.from, auth.to, auth.value);
      expect(await sys.token.authorizationState(auth.from, auth.nonce)).to.equal(true);
    });

    it("reverts with TokenAuthorizationUsed when the same signature is submitted twice", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const { auth, signature } = await signedTransfer(sys);
      await submit(sys.token, sys.stranger, "transfer", auth, signature);
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenAuthorizationUsed")
        .withArgs(auth.from, auth.nonce);
    });

    it("reverts with TokenAuthorizationUsed for a new signature reusing a used nonce", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const { auth, signature } = await signedTransfer(sys);
      await submit(sys.token, sys.stranger, "transfer", auth, signature);
      const again = { ...auth, value: 1n };
      const sig2 = await signAuthorization(sys.buyer, "transfer", again, domainOf(sys));
      await expect(submit(sys.token, sys.stranger, "transfer", again, sig2))
        .to.be.revertedWithCustomError(sys.token, "TokenAuthorizationUsed")
        .withArgs(auth.from, auth.nonce);
    });

    it("reverts with TokenInvalidSignature when the domain names another chain id", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const auth = await makeAuthorization(sys);
      const signature = await signAuthorization(sys.buyer, "transfer", auth, domainOf(sys, { chainId: sys.chainId + 1n }));
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenInvalidSignature")
        .withArgs(auth.from);
    });

    it("reverts with TokenInvalidSignature for a signature made for another token contract of the same name", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const other = await ethers.deployContract("SettlementToken", [TOKEN_NAME, "SUSD", sys.admin.address, ADMIN_DELAY]);
      await other.connect(sys.admin).grantRole(ROLES.ISSUER, sys.issuer.address);
      await other.connect(sys.issuer).mint(sys.buyer.address, 1_000n * UNIT, ethers.encodeBytes32String("wire:other"));
      const auth = await makeAuthorization(sys);
      const signature = await signAuthorization(sys.buyer, "transfer", auth, domainOf(sys, { verifyingContract: await other.getAddress() }));
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenInvalidSignature")
        .withArgs(auth.from);
      // The same signature is valid where it was meant to be used.
      await expect(submit(other, sys.stranger, "transfer", auth, signature)).to.emit(other, "AuthorizationUsed");
    });

    it("reverts with TokenInvalidSignature when someone other than `from` signed", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const auth = await makeAuthorization(sys);
      const signature = await signAuthorization(sys.stranger, "transfer", auth, domainOf(sys));
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenInvalidSignature")
        .withArgs(auth.from);
    });

    it("reverts with TokenInvalidSignature when the submitted value differs from the signed one", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const { auth, signature } = await signedTransfer(sys);
      await expect(submit(sys.token, sys.stranger, "transfer", { ...auth, value: auth.value + 1n }, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenInvalidSignature")
        .withArgs(auth.from);
    });

    it("reverts with TokenInvalidSignature for a ReceiveWithAuthorization signature", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const auth = await makeAuthorization(sys);
      const signature = await signAuthorization(sys.buyer, "receive", auth, domainOf(sys));
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenInvalidSignature")
        .withArgs(auth.from);
    });

    it("rejects the malleable high-s twin of a valid signature with TokenInvalidSignature", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const { auth, signature } = await signedTransfer(sys);
      // The twin recovers the same signer under plain ecrecover: only the low-s rule rejects it.
      const twin = highSTwin(signature);
      expect(twin).to.not.equal(signature);
      expect(await ecrecover(TypedDataEncoder.hash(domainOf(sys), TransferWithAuthorizationTypes, auth), twin)).to.equal(auth.from);
      await expect(submit(sys.token, sys.stranger, "transfer", auth, twin))
        .to.be.revertedWithCustomError(sys.token, "TokenInvalidSignature")
        .withArgs(auth.from);
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature)).to.emit(sys.token, "AuthorizationUsed");
    });

    it("reverts with TokenInvalidSignature for a truncated signature", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const { auth, signature } = await signedTransfer(sys);
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature.slice(0, -2)))
        .to.be.revertedWithCustomError(sys.token, "TokenInvalidSignature")
        .withArgs(auth.from);
    });

    it("leaves the nonce unused when the transfer itself fails", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const balance = await sys.token.balanceOf(sys.buyer.address);
      const { auth, signature } = await signedTransfer(sys, { value: balance + 1n });
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "ERC20InsufficientBalance")
        .withArgs(auth.from, balance, balance + 1n);
      expect(await sys.token.authorizationState(auth.from, auth.nonce)).to.equal(false);
    });
  });

  describe("validity window", () => {
    it("reverts with TokenAuthorizationNotYetValid at the validAfter second", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const validAfter = (await latestTimestamp(ethers)) + 100n;
      const { auth, signature } = await signedTransfer(sys, { validAfter, validBefore: validAfter + 3_600n });
      await networkHelpers.time.setNextBlockTimestamp(validAfter);
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenAuthorizationNotYetValid")
        .withArgs(validAfter, validAfter);
    });

    it("succeeds one second after validAfter", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const validAfter = (await latestTimestamp(ethers)) + 100n;
      const { auth, signature } = await signedTransfer(sys, { validAfter, validBefore: validAfter + 3_600n });
      await networkHelpers.time.setNextBlockTimestamp(validAfter + 1n);
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature)).to.emit(sys.token, "AuthorizationUsed");
    });

    it("succeeds one second before validBefore", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const validBefore = (await latestTimestamp(ethers)) + 100n;
      const { auth, signature } = await signedTransfer(sys, { validBefore });
      await networkHelpers.time.setNextBlockTimestamp(validBefore - 1n);
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature)).to.emit(sys.token, "AuthorizationUsed");
    });

    it("reverts with TokenAuthorizationExpired at the validBefore second", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const validBefore = (await latestTimestamp(ethers)) + 100n;
      const { auth, signature } = await signedTransfer(sys, { validBefore });
      await networkHelpers.time.setNextBlockTimestamp(validBefore);
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenAuthorizationExpired")
        .withArgs(validBefore, validBefore);
    });

    it("reverts with TokenAuthorizationExpired one second after validBefore", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const validBefore = (await latestTimestamp(ethers)) + 100n;
      const { auth, signature } = await signedTransfer(sys, { validBefore });
      await networkHelpers.time.setNextBlockTimestamp(validBefore + 1n);
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenAuthorizationExpired")
        .withArgs(validBefore, validBefore + 1n);
    });
  });

  describe("receiveWithAuthorization", () => {
    it("moves the value when the payee submits it and emits AuthorizationUsed", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const auth = await makeAuthorization(sys);
      const signature = await signAuthorization(sys.buyer, "receive", auth, domainOf(sys));
      const tx = submit(sys.token, sys.merchant, "receive", auth, signature);
      await expect(tx).to.emit(sys.token, "AuthorizationUsed").withArgs(auth.from, auth.nonce);
      await expect(tx).to.changeTokenBalances(ethers, sys.token, [sys.buyer, sys.merchant], [-auth.value, auth.value]);
    });

    it("reverts with TokenCallerNotPayee when a caller other than the payee submits it", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const auth = await makeAuthorization(sys);
      const signature = await signAuthorization(sys.buyer, "receive", auth, domainOf(sys));
      await expect(submit(sys.token, sys.stranger, "receive", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenCallerNotPayee")
        .withArgs(sys.stranger.address, auth.to);
      expect(await sys.token.authorizationState(auth.from, auth.nonce)).to.equal(false);
    });

    it("reverts with TokenInvalidSignature for a TransferWithAuthorization signature", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const { auth, signature } = await signedTransfer(sys);
      await expect(submit(sys.token, sys.merchant, "receive", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenInvalidSignature")
        .withArgs(auth.from);
    });

    it("reverts with TokenAuthorizationUsed when the nonce was used by transferWithAuthorization", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const { auth, signature } = await signedTransfer(sys);
      await submit(sys.token, sys.stranger, "transfer", auth, signature);
      const receiveSig = await signAuthorization(sys.buyer, "receive", auth, domainOf(sys));
      await expect(submit(sys.token, sys.merchant, "receive", auth, receiveSig))
        .to.be.revertedWithCustomError(sys.token, "TokenAuthorizationUsed")
        .withArgs(auth.from, auth.nonce);
    });
  });

  describe("cancelAuthorization", () => {
    it("marks the nonce used and emits AuthorizationCanceled", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const nonce = ethers.id("cancel-me");
      const signature = await signCancel(sys.buyer, sys.buyer.address, nonce, domainOf(sys));
      await expect(sys.token.connect(sys.stranger).cancelAuthorization(sys.buyer.address, nonce, signature))
        .to.emit(sys.token, "AuthorizationCanceled")
        .withArgs(sys.buyer.address, nonce);
      expect(await sys.token.authorizationState(sys.buyer.address, nonce)).to.equal(true);
    });

    it("makes a signed transfer with the cancelled nonce revert with TokenAuthorizationUsed", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const { auth, signature } = await signedTransfer(sys);
      const cancel = await signCancel(sys.buyer, auth.from, auth.nonce, domainOf(sys));
      await sys.token.connect(sys.buyer).cancelAuthorization(auth.from, auth.nonce, cancel);
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenAuthorizationUsed")
        .withArgs(auth.from, auth.nonce);
    });

    it("reverts with TokenAuthorizationUsed for an already used nonce", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const { auth, signature } = await signedTransfer(sys);
      await submit(sys.token, sys.stranger, "transfer", auth, signature);
      const cancel = await signCancel(sys.buyer, auth.from, auth.nonce, domainOf(sys));
      await expect(sys.token.cancelAuthorization(auth.from, auth.nonce, cancel))
        .to.be.revertedWithCustomError(sys.token, "TokenAuthorizationUsed")
        .withArgs(auth.from, auth.nonce);
    });

    it("reverts with TokenInvalidSignature when someone other than the authorizer signed", async () => {
      const sys = await networkHelpers.loadFixture(system);
      const nonce = ethers.id("cancel-me");
      const signature = await signCancel(sys.stranger, sys.buyer.address, nonce, domainOf(sys));
      await expect(sys.token.cancelAuthorization(sys.buyer.address, nonce, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenInvalidSignature")
        .withArgs(sys.buyer.address);
      expect(await sys.token.authorizationState(sys.buyer.address, nonce)).to.equal(false);
    });
  });

  describe("ERC-1271 smart wallet authorizer", () => {
    async function walletSystem() {
      const sys = await deploySystem(ethers);
      // buyer2 owns the wallet; the wallet holds the tokens.
      const wallet = await ethers.deployContract("MockERC1271Wallet", [sys.buyer2.address]);
      const walletAddress = await wallet.getAddress();
      await sys.token.connect(sys.issuer).mint(walletAddress, 500n * UNIT, ethers.encodeBytes32String("wire:wallet"));
      return { sys, walletAddress };
    }

    it("transfers with a signature the wallet validates from its owner", async () => {
      const { sys, walletAddress } = await networkHelpers.loadFixture(walletSystem);
      const auth = await makeAuthorization(sys, { from: walletAddress });
      const signature = await signAuthorization(sys.buyer2, "transfer", auth, domainOf(sys));
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.emit(sys.token, "AuthorizationUsed")
        .withArgs(walletAddress, auth.nonce)
        .and.to.emit(sys.token, "Transfer")
        .withArgs(walletAddress, auth.to, auth.value);
      expect(await sys.token.balanceOf(walletAddress)).to.equal(400n * UNIT);
    });

    it("reverts with TokenInvalidSignature when the wallet rejects the signer", async () => {
      const { sys, walletAddress } = await networkHelpers.loadFixture(walletSystem);
      const auth = await makeAuthorization(sys, { from: walletAddress });
      const signature = await signAuthorization(sys.stranger, "transfer", auth, domainOf(sys));
      await expect(submit(sys.token, sys.stranger, "transfer", auth, signature))
        .to.be.revertedWithCustomError(sys.token, "TokenInvalidSignature")
        .withArgs(walletAddress);
    });

    it("cancels an authorization with the wallet owner's signature", async () => {
      const { sys, walletAddress } = await networkHelpers.loadFixture(walletSystem);
      const nonce = ethers.id("wallet-cancel");
      const signature = await signCancel(sys.buyer2, walletAddress, nonce, domainOf(sys));
      await expect(sys.token.cancelAuthorization(walletAddress, nonce, signature))
        .to.emit(sys.token, "AuthorizationCanceled")
        .withArgs(walletAddress, nonce);
    });
  });
});
